package dev.sluice.server.console;

/** One part of the console: its routes, added under the console's sign-in and security headers. */
interface ConsolePage {
    void register(ConsoleRoutes routes);
}
