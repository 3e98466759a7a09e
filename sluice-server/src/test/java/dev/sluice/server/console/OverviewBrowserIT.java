package dev.sluice.server.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import dev.sluice.server.fixture.ServerFixture;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The console in Chromium: sign in with an API token, and the overview shows a change arriving at a sink (delivered
 * count and rate move over server-sent events, with no reload).
 */
class OverviewBrowserIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    @RegisterExtension
    static final ConsoleBrowser chromium = new ConsoleBrowser();

    static String db;

    @BeforeAll
    static void start() {
        ConsoleBrowser.assumeInstalled();
        db = sluice.database("overview", "CREATE TABLE orders (id int PRIMARY KEY, status text)");
        sluice.start(sluice.yaml(db, ""));
        sluice.awaitStreaming();
    }

    @Test
    void signInAndWatchAChangeArriveOnTheOverview() {
        try (ConsoleBrowser.Tab tab =
                chromium.open("http://localhost:" + sluice.server().port())) {
            tab.page().navigate("/");
            assertThat(tab.page().url()).endsWith("/sign-in");
            tab.signIn(ServerFixture.TOKEN);
            PlaywrightAssertions.assertThat(tab.page()
                            .getByRole(
                                    com.microsoft.playwright.options.AriaRole.HEADING,
                                    new com.microsoft.playwright.Page.GetByRoleOptions().setName("Overview")))
                    .isVisible();
            Locator row = tab.page().locator("#sinks ~ div tbody tr").first();
            PlaywrightAssertions.assertThat(row).containsText("webhook");

            ServerFixture.PG.execute(db, "INSERT INTO orders VALUES (1, 'new')");
            sluice.receiver().awaitMessages(1, Duration.ofSeconds(30));
            // The overview refreshes itself: the sparkline gains a rising point without a reload.
            await("the sparkline shows the delivery")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> {
                        String points =
                                tab.page().locator("svg.spark polyline").first().getAttribute("points");
                        return points != null && points.matches(".*,([0-9]|1[0-9])\\.[0-9].*");
                    });
            tab.screenshot("overview");
            tab.assertNoErrors();
        }
    }
}
