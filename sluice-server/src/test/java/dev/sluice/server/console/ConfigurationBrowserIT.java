package dev.sluice.server.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.sluice.server.fixture.ServerFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The configuration page in Chromium: plan a pasted sluice.yaml (the plan lists what would change and nothing
 * changes), apply it, export it; add and delete an HTTP endpoint; create an API key whose token is shown once and
 * works; add a notification webhook and send it a test event.
 */
class ConfigurationBrowserIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    @RegisterExtension
    static final ConsoleBrowser chromium = new ConsoleBrowser();

    static String db;

    @BeforeAll
    static void start() {
        ConsoleBrowser.assumeInstalled();
        db = sluice.database("configpage", "CREATE TABLE orders (id int PRIMARY KEY)");
        sluice.start();
    }

    @Test
    void planApplyAndExportAPastedConfiguration() {
        try (ConsoleBrowser.Tab tab = open()) {
            Page page = tab.page();
            page.navigate("/configuration");
            page.getByLabel("Configuration (YAML)").fill(sluice.yaml(db, ""));
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Plan"))
                    .click();
            assertThat(page.locator("#plan-result")).containsText("create sink hook");
            assertThat(page.locator("#plan-result")).containsText("create database source");
            assertThat(sluice.api().get("/api/sinks").get("data"))
                    .as("a plan changes nothing")
                    .isEmpty();
            tab.screenshot("configuration");

            page.onceDialog(d -> d.accept());
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Apply"))
                    .click();
            org.awaitility.Awaitility.await("the sink is created")
                    .atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> sluice.api().get("/api/sinks/hook").status() == 200);

            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Export the current configuration"))
                    .click();
            assertThat(page.locator("#export")).containsText("name: \"hook\"");
            tab.assertNoErrors();
        }
    }

    @Test
    void endpointsKeysAndWebhooks() throws Exception {
        try (ConsoleBrowser.Tab tab = open()) {
            Page page = tab.page();
            page.navigate("/configuration");
            page.getByText("Add an HTTP endpoint").click();
            page.locator("#ep-name").fill("spare");
            page.locator("#ep-url").fill(sluice.receiver().url().toString());
            page.locator("#ep-secret").fill("{\"Authorization\": \"Bearer s3cret\"}");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Add endpoint"))
                    .click();
            assertThat(page.locator("#endpoints ~ div table")).containsText("spare");
            assertThat(page.locator("body")).not().containsText("s3cret");
            page.onceDialog(d -> d.accept());
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Delete spare"))
                    .click();
            assertThat(page.locator("#endpoints ~ div table")).not().containsText("spare");

            page.getByLabel("New key's name").fill("ci");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create API key"))
                    .click();
            String token = page.locator("#new-token pre").innerText().strip();
            assertThat(token).startsWith("sluice_");
            HttpResponse<String> withIt = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://localhost:"
                                            + sluice.server().port() + "/api/sinks"))
                                    .header("Authorization", "Bearer " + token)
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(withIt.statusCode()).as("the new token works").isEqualTo(200);
            page.reload();
            assertThat(page.locator("#keys ~ div table")).containsText("ci");
            assertThat(page.locator("body")).not().containsText(token);

            page.getByText("Add a notification webhook").click();
            page.locator("#wh-name").fill("ops");
            page.locator("#wh-url").fill(sluice.receiver().url().toString());
            page.locator("#wh-sink\\.failing").check();
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Add webhook"))
                    .click();
            assertThat(page.locator("#new-secret")).containsText("signing secret");
            page.reload();
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Send a test event to ops"))
                    .click();
            assertThat(page.locator("#webhook-test")).containsText("200");
            tab.screenshot("configuration-keys");
            tab.assertNoErrors();
        }
    }

    private static ConsoleBrowser.Tab open() {
        return chromium.open("http://localhost:" + sluice.server().port()).signIn(ServerFixture.TOKEN);
    }
}
