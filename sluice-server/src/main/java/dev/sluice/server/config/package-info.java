/**
 * The {@code sluice.yaml} file: a subset of Sequin's {@code sequin.yaml}, read by {@link
 * dev.sluice.server.config.ConfigLoader} into validated, immutable records. See {@code docs/configuration.md}.
 */
@NullMarked
package dev.sluice.server.config;

import org.jspecify.annotations.NullMarked;
