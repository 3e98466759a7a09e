/**
 * User functions on change messages, following Sequin's model: {@link dev.sluice.functions.FunctionSpec} describes
 * one, {@link dev.sluice.functions.Functions#compile} turns it into a {@link dev.sluice.functions.Compiled}: a
 * native {@link dev.sluice.functions.PathFunction}, a JavaScript {@link dev.sluice.functions.CodeFunction}
 * (transform, filter, routing; GraalJS in a constrained sandbox), or an {@link dev.sluice.functions.EnrichmentFunction}
 * holding SQL for the engine.
 */
@NullMarked
package dev.sluice.functions;

import org.jspecify.annotations.NullMarked;
