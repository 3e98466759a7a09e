package dev.sluice.server.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.microsoft.playwright.Locator;
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
import tools.jackson.databind.JsonNode;

/**
 * The Messages page in Chromium: a webhook sink whose endpoint answers 500 stores its failed messages; the page lists
 * them with the error and payload (and, run through the sink's transform, as sent), filters them by table and error text, discards one, and, once the endpoint works
 * again, "Redeliver all" delivers the rest and the page shows none failed.
 */
class MessagesPageIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    @RegisterExtension
    static final ConsoleBrowser chromium = new ConsoleBrowser();

    static String db;
    static String base;

    @BeforeAll
    static void start() {
        db = sluice.database(
                "messages",
                "CREATE TABLE orders (id int PRIMARY KEY, status text)",
                "CREATE TABLE customers (id int PRIMARY KEY, name text)");
        sluice.receiver().respondWith(500, "upstream exploded");
        // A long back-off: the failed messages wait for the page's "Redeliver" instead of retrying by themselves.
        // The sink sends each message's record alone (a path function).
        sluice.start(
                sluice.yaml(db, "retry_backoff_ms: 600000\nmax_retry_backoff_ms: 600000\ntransform: just-the-record")
                        + "functions:\n  - name: just-the-record\n    type: path\n    path: record\n");
        sluice.awaitStreaming();
        base = "http://localhost:" + sluice.server().port();
    }

    @Test
    void failedMessagesAreListedFilteredDiscardedAndRedeliveredOnceTheEndpointWorks() {
        ConsoleBrowser.assumeInstalled();
        ServerFixture.PG.execute(db, "INSERT INTO orders VALUES (1, 'new')");
        ServerFixture.PG.execute(db, "INSERT INTO orders VALUES (2, 'paid')");
        ServerFixture.PG.execute(db, "INSERT INTO orders VALUES (3, 'shipped')");
        ServerFixture.PG.execute(db, "INSERT INTO customers VALUES (7, 'Ada')");
        await("four failed messages stored").atMost(ServerFixture.WAIT).until(() -> failed().size() == 4);

        try (ConsoleBrowser.Tab tab = chromium.open(base)) {
            Page page = tab.signIn(ServerFixture.TOKEN).page();
            page.onDialog(d -> d.accept());
            com.microsoft.playwright.APIResponse missing = page.request().get("/sinks/nope/messages");
            assertThat(missing.status()).isEqualTo(404);
            assertThat(missing.text()).contains("No sink named “nope”");
            page.navigate("/sinks/hook/messages?state=failed");
            assertThat(page.locator("tbody.message")).hasCount(4);
            assertThat(page.locator("h2#message-list")).containsText("4 failed messages");
            assertThat(page.locator("tbody.message").first()).containsText("500");
            assertThat(page.locator("tbody.message").first()).containsText("public.orders");
            // The payload as stored, behind a disclosure.
            page.locator("tbody.message summary").first().click();
            assertThat(page.locator("tbody.message pre").first()).containsText("\"status\" : \"new\"");
            // As sent: the transform, run on it in the server's sandbox.
            page.locator("tbody.message")
                    .first()
                    .getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Show it as the transform"))
                    .click();
            assertThat(page.locator("tbody.message pre[id^=sent-]").first()).containsText("\"status\": \"new\"");
            assertThat(page.locator("tbody.message pre[id^=sent-]").first())
                    .not()
                    .containsText("metadata");
            tab.screenshot("messages");
            page.setViewportSize(375, 800);
            tab.screenshot("messages-phone");
            page.setViewportSize(1280, 800);

            // Filter by table, then by error text.
            page.getByLabel("Table", new Page.GetByLabelOptions().setExact(true))
                    .selectOption("public.orders");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Filter"))
                    .click();
            assertThat(page).hasURL(java.util.regex.Pattern.compile(".*table=public\\.orders.*"));
            assertThat(page.locator("tbody.message")).hasCount(3);
            assertThat(page.locator("h2#message-list")).containsText("3 failed messages matching");
            page.getByLabel("Error contains").fill("no such error");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Filter"))
                    .click();
            assertThat(page.locator("p.empty")).containsText("No failed messages match these filters");

            // Discard the customer's message (the confirmation is accepted).
            open(page, "/sinks/hook/messages?state=failed&table=customers");
            assertThat(page.locator("tbody.message")).hasCount(1);
            String customer =
                    page.locator("tbody.message").first().getAttribute("id").substring(2);
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Discard message " + customer))
                    .click();
            await("the message is discarded").atMost(ServerFixture.WAIT).until(() -> failed().size() == 3);
            open(page, "/sinks/hook/messages?state=discarded");
            assertThat(page.locator("tbody.message")).hasCount(1);
            assertThat(page.locator("tbody.message").first()).containsText("public.customers");

            // The endpoint works again: "Redeliver all" sends the three orders now, not in ten minutes.
            sluice.receiver().respondWith(200);
            open(page, "/sinks/hook/messages");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Redeliver all 3 failed"))
                    .click();
            sluice.receiver().awaitAccepted(3, ServerFixture.WAIT);
            await("the page shows no failed message").atMost(ServerFixture.WAIT).until(() -> {
                open(page, "/sinks/hook/messages?state=failed");
                return page.locator("p.empty").count() == 1;
            });
            assertThat(page.locator("p.empty")).containsText("No failed messages: every message was delivered.");
            tab.assertNoErrors();
        }
        assertThat(sluice.receiver().acceptedMessages())
                .extracting(m -> m.get("id").asInt())
                .containsExactlyInAnyOrder(1, 2, 3);
    }

    @Test
    void withoutASessionTheMessagesAndBackfillsPagesRedirectToSignIn() throws Exception {
        HttpClient http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        for (String path :
                new String[] {"/sinks/hook/messages", "/sinks/hook/backfills", "/sinks/hook/backfills/list"}) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(base + path)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path).isEqualTo(303);
            assertThat(r.headers().firstValue("Location")).as(path).hasValue("/sign-in");
        }
    }

    /**
     * Opens {@code path}, after the reload a button's API call started (a navigation of ours may interrupt it, or it
     * ours).
     */
    private static void open(Page page, String path) {
        await("open " + path).atMost(ServerFixture.WAIT).ignoreExceptions().until(() -> {
            page.navigate(path);
            page.waitForLoadState();
            return page.url().endsWith(path);
        });
    }

    private static JsonNode failed() {
        return sluice.api().get("/api/sinks/hook/messages?state=failed").get("data");
    }
}
