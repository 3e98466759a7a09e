/**
 * Destinations of any type, known only through their {@link dev.sluice.core.sink.SinkProvider}: the one value a sink
 * holds ({@link dev.sluice.server.destination.Destination}), its stored, exported and shown JSON forms and secret keys
 * ({@link dev.sluice.server.destination.Destinations}), and the OpenAPI schemas ({@link
 * dev.sluice.server.destination.DestinationOpenApi}). {@code sluice.yaml} entries are read by the config package's
 * {@code DestinationSection} with the same schemas.
 */
@NullMarked
package dev.sluice.server.destination;

import org.jspecify.annotations.NullMarked;
