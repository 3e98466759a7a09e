package dev.sluice.server.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Response;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import dev.sluice.server.fixture.ServerFixture;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The sink page and the live trace in Chromium: health checks with what fixes them (a keyless table's replica
 * identity, a failing webhook's error), charts, pause and resume through the buttons, and a delivery in the trace
 * with its response status.
 */
class SinkPageIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    @RegisterExtension
    static final ConsoleBrowser chromium = new ConsoleBrowser();

    static final LocatorAssertions.ContainsTextOptions WAIT =
            new LocatorAssertions.ContainsTextOptions().setTimeout(30_000);

    static String db;

    @BeforeAll
    static void start() throws IOException {
        ConsoleBrowser.assumeInstalled();
        db = sluice.database(
                "sinkpage", "CREATE TABLE orders (id int PRIMARY KEY, status text)", "CREATE TABLE notes (body text)");
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        // A second sink whose endpoint refuses connections: its port was free a moment ago and nothing listens.
        String yaml = sluice.yaml(db, "") + """
                  - name: broken
                    database: source
                    source:
                      include_tables: [public.orders]
                    destination:
                      type: webhook
                      http_endpoint: http://127.0.0.1:%d
                      http_endpoint_path: /events
                """.formatted(closed);
        sluice.start(yaml);
        sluice.awaitStreaming();
    }

    private ConsoleBrowser.Tab signedIn() {
        ConsoleBrowser.Tab tab =
                chromium.open("http://localhost:" + sluice.server().port());
        tab.signIn(ServerFixture.TOKEN);
        tab.page().onDialog(d -> d.accept());
        return tab;
    }

    @Test
    void theSinkPageShowsHealthAndChartsAndPausesAndResumes() {
        try (ConsoleBrowser.Tab tab = signedIn()) {
            Page page = tab.page();
            page.navigate("/sinks/hook");
            PlaywrightAssertions.assertThat(
                            page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName("hook")))
                    .isVisible();
            PlaywrightAssertions.assertThat(page.locator("#sink-live")).containsText("Messages delivered");
            PlaywrightAssertions.assertThat(page.locator("#sink-live")).containsText("Database source read");
            // The keyless table's check, with the SQL that fixes it.
            PlaywrightAssertions.assertThat(page.locator("#sink-tables"))
                    .containsText("ALTER TABLE \"public\".\"notes\" REPLICA IDENTITY FULL;", WAIT);
            PlaywrightAssertions.assertThat(page.locator("pre.yaml")).containsText("name: \"hook\"");

            ServerFixture.PG.execute(db, "INSERT INTO orders VALUES (1, 'new')");
            sluice.receiver().awaitMessages(1, Duration.ofSeconds(30));
            // The numbers refresh themselves: the delivery's time appears without a reload.
            PlaywrightAssertions.assertThat(page.locator("#sink-live dl time")).isVisible(visibleWait());
            // Each chart draws a canvas once its series arrives.
            await("the charts draw")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> page.locator("[data-chart] canvas").count() == SinkPage.CHARTS.size());
            tab.screenshot("sink");
            // Readable at a phone's width: nothing wider than the screen but what scrolls in its own box.
            page.setViewportSize(375, 800);
            // (The layout's header is not this page's: only the main part is checked.)
            await("the page fits a phone's width")
                    .atMost(Duration.ofSeconds(10))
                    .until(
                            () -> (Boolean)
                                    page.evaluate(
                                            "(() => { const m = document.querySelector('main'); return m.scrollWidth <= m.clientWidth; })()"));
            tab.screenshot("sink-phone");
            page.setViewportSize(1280, 800);

            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Pause"))
                    .click();
            PlaywrightAssertions.assertThat(page.locator("#sink-status")).hasText("paused", hasTextWait());
            assertThat(sluice.api().get("/api/sinks/hook").get("status").asString())
                    .isEqualTo("paused");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Resume"))
                    .click();
            PlaywrightAssertions.assertThat(page.locator("#sink-status")).hasText("active", hasTextWait());
            assertThat(sluice.api().get("/api/sinks/hook").get("status").asString())
                    .isEqualTo("active");
            tab.assertNoErrors();
        }
    }

    @Test
    void aFailingWebhookShowsItsFailingCheckWithTheError() {
        try (ConsoleBrowser.Tab tab = signedIn()) {
            Page page = tab.page();
            ServerFixture.PG.execute(db, "INSERT INTO orders VALUES (100, 'for the broken sink')");
            page.navigate("/sinks/broken");
            Locator failing = page.locator("#sink-live tr.check-error");
            PlaywrightAssertions.assertThat(failing).containsText("Messages delivered", WAIT);
            PlaywrightAssertions.assertThat(failing).containsText("connection refused");
            PlaywrightAssertions.assertThat(failing).containsText("Edit tab");
            PlaywrightAssertions.assertThat(page.locator("#sink-health")).hasText("error");
            tab.screenshot("sink-failing");
            tab.assertNoErrors();
        }
    }

    @Test
    void theTraceShowsADeliveredMessageWithItsResponseStatus() {
        try (ConsoleBrowser.Tab tab = signedIn()) {
            Page page = tab.page();
            page.navigate("/sinks/hook/trace");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Start watching"))
                    .click();
            PlaywrightAssertions.assertThat(page.locator("#trace-state")).containsText("Watching", WAIT);
            ServerFixture.PG.execute(db, "INSERT INTO orders VALUES (2, 'traced')");
            Locator entry = page.locator("#trace-list details").first();
            PlaywrightAssertions.assertThat(entry).containsText("POST http://", WAIT);
            PlaywrightAssertions.assertThat(entry).containsText("/events");
            PlaywrightAssertions.assertThat(entry.locator("summary strong")).hasText("200");
            entry.locator("summary").click();
            PlaywrightAssertions.assertThat(entry).containsText("traced");
            tab.screenshot("trace");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Stop"))
                    .click();
            PlaywrightAssertions.assertThat(page.locator("#trace-state")).hasText("Stopped.");
            tab.assertNoErrors();
        }
    }

    @Test
    void anUnknownSinkIsA404WithAWayBack() {
        try (ConsoleBrowser.Tab tab = signedIn()) {
            Response r = tab.page().navigate("/sinks/nope");
            assertThat(r.status()).isEqualTo(404);
            PlaywrightAssertions.assertThat(tab.page().locator("main")).containsText("There is no sink named nope");
            PlaywrightAssertions.assertThat(tab.page()
                            .getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Back to the overview")))
                    .isVisible();
            // The 404 is the point here: the browser logs it, and it is no error of the page.
            tab.errors().removeIf(e -> e.contains("404") && e.contains("/sinks/nope"));
            tab.assertNoErrors();
        }
    }

    @Test
    void withoutASessionTheSinkPagesSendYouToSignIn() throws Exception {
        HttpClient http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        String base = "http://localhost:" + sluice.server().port();
        for (String path : new String[] {
            "/sinks/hook",
            "/sinks/hook/trace",
            "/console/sinks/hook/live",
            "/console/sinks/hook/tables",
            "/console/sinks/hook/series?metric=throughput"
        }) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path).isEqualTo(303);
            assertThat(r.headers().firstValue("Location")).as(path).hasValue("/sign-in");
        }
        HttpResponse<String> events = http.send(
                HttpRequest.newBuilder(URI.create(base + "/console/events/sinks/hook/trace"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(events.statusCode()).isEqualTo(401);
    }

    private static LocatorAssertions.IsVisibleOptions visibleWait() {
        return new LocatorAssertions.IsVisibleOptions().setTimeout(30_000);
    }

    private static LocatorAssertions.HasTextOptions hasTextWait() {
        return new LocatorAssertions.HasTextOptions().setTimeout(30_000);
    }
}
