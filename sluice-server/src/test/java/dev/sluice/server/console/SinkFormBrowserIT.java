package dev.sluice.server.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.sluice.server.fixture.ServerFixture;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Creating and editing a sink through the console's form, generated from the sink providers' schemas: every installed
 * type has its fields, "Test connection" checks the unsaved form (a closed port fails with the reason, the receiver
 * passes), saving creates a sink that delivers, and the edit form changes it.
 */
class SinkFormBrowserIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    @RegisterExtension
    static final ConsoleBrowser chromium = new ConsoleBrowser();

    static String db;

    @BeforeAll
    static void start() {
        ConsoleBrowser.assumeInstalled();
        db = sluice.database("sinkform", "CREATE TABLE orders (id int PRIMARY KEY, status text)");
        sluice.start();
        assertThat(sluice.api()
                        .post("/api/postgres_databases", sluice.databaseJson("shop", db))
                        .status())
                .isEqualTo(201);
    }

    @Test
    void createASinkThroughTheFormAfterTestingItsConnectionThenEditIt() {
        try (ConsoleBrowser.Tab tab =
                chromium.open("http://localhost:" + sluice.server().port()).signIn(ServerFixture.TOKEN)) {
            Page page = tab.page();
            page.navigate("/sinks/new");
            // One fieldset per installed destination type, from its schema; only the chosen one is shown.
            for (String type : new String[] {"webhook", "kafka", "sqs", "kinesis", "sequin_stream"}) {
                assertThat(page.locator("[data-destination=\"" + type + "\"]")).hasCount(1);
            }
            page.getByLabel("Type", new Page.GetByLabelOptions().setExact(true)).selectOption("kafka");
            assertThat(page.locator("#dest-kafka")).isVisible();
            assertThat(page.locator("#dest-webhook")).isHidden();
            page.getByLabel("Type", new Page.GetByLabelOptions().setExact(true)).selectOption("webhook");

            page.getByLabel("Name", new Page.GetByLabelOptions().setExact(true)).fill("orders-hook");
            page.getByLabel("Tables").fill("public.orders");
            // Nothing listens on port 1: the check says so, and nothing is saved.
            page.locator("#dest-webhook input[name='destination.http_endpoint']")
                    .fill("http://127.0.0.1:1/hook");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Test connection"))
                    .click();
            assertThat(page.locator("#sink-form [data-errors]")).not().isEmpty();
            assertThat(sluice.api().get("/api/sinks").get("data")).isEmpty();

            page.locator("#dest-webhook input[name='destination.http_endpoint']")
                    .fill(sluice.receiver().url().toString());
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Test connection"))
                    .click();
            assertThat(page.locator("#test-result")).containsText("Connection works");
            tab.screenshot("sink-form");

            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create sink"))
                    .click();
            page.waitForURL("**/sinks/orders-hook");
            assertThat(sluice.api()
                            .get("/api/sinks/orders-hook")
                            .body()
                            .path("destination")
                            .path("type")
                            .asString())
                    .isEqualTo("webhook");
            sluice.awaitSinkHealthy("orders-hook");
            ServerFixture.PG.execute(db, "INSERT INTO orders VALUES (1, 'new')");
            assertThat(sluice.receiver().awaitMessages(1, Duration.ofSeconds(30)))
                    .hasSize(1);

            // The edit form starts from the saved values and saves a change.
            page.navigate("/sinks/orders-hook/edit");
            assertThat(page.getByLabel("Tables")).hasValue("public.orders");
            page.getByText("Functions and delivery").click();
            // The sink's own batch size (search destinations have one of their own).
            page.locator("#f-batch").fill("25");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Save changes"))
                    .click();
            page.waitForURL("**/sinks/orders-hook");
            assertThat(sluice.api()
                            .get("/api/sinks/orders-hook")
                            .body()
                            .path("batch_size")
                            .asInt())
                    .isEqualTo(25);

            // A field the API refuses is marked, with the API's reason beside it.
            page.navigate("/sinks/new");
            page.getByLabel("Name", new Page.GetByLabelOptions().setExact(true)).fill("orders-hook");
            page.locator("#dest-webhook input[name='destination.http_endpoint']")
                    .fill(sluice.receiver().url().toString());
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Create sink"))
                    .click();
            assertThat(page.locator("#sink-form [data-errors]")).containsText("orders-hook");
            tab.assertNoErrors();
        }
    }

    @Test
    void anUnknownSinkHasNoEditForm() {
        try (ConsoleBrowser.Tab tab =
                chromium.open("http://localhost:" + sluice.server().port()).signIn(ServerFixture.TOKEN)) {
            assertThat(tab.page().navigate("/sinks/nope/edit").status()).isEqualTo(404);
            assertThat(tab.page().getByRole(AriaRole.HEADING)).containsText("No sink named");
            tab.errors().removeIf(e -> e.contains("/sinks/nope/edit")); // the 404 asked for
            tab.assertNoErrors();
        }
    }
}
