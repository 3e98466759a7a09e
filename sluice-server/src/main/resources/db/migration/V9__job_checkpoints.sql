-- What a job has finished for good (init: each schema statement, table copy and index; sync: its copy), so that a
-- job run again after its node died skips it and resumes from there.
ALTER TABLE jobs ADD COLUMN checkpoints text[] NOT NULL DEFAULT '{}';
