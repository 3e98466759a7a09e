package dev.sluice.server.console;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.options.AriaRole;
import dev.sluice.server.fixture.ServerFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The functions pages in Chromium: write a transform in the editor (Ace), run it on a captured live message, see a
 * syntax error with its line, save it, and find it listed with the sink that uses it.
 */
class FunctionsPageIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    @RegisterExtension
    static final ConsoleBrowser chromium = new ConsoleBrowser();

    static String db;

    @BeforeAll
    static void start() {
        db = sluice.database("fnpage", "CREATE TABLE orders (id int PRIMARY KEY, status text)");
        sluice.start(sluice.yaml(db, ""));
        sluice.awaitStreaming();
        ServerFixture.PG.execute(db, "INSERT INTO orders VALUES (1, 'new')");
        sluice.receiver().awaitMessages(1, Duration.ofSeconds(30));
    }

    @Test
    void writeTestSaveAndListATransform() {
        try (ConsoleBrowser.Tab tab = chromium.open(base()).signIn(ServerFixture.TOKEN)) {
            Page page = tab.page();
            page.navigate("/functions");
            assertThat(page.locator("main")).containsText("No functions yet");
            page.getByRole(
                            AriaRole.LINK,
                            new Page.GetByRoleOptions()
                                    .setName("Add a function")
                                    .setExact(true))
                    .first()
                    .click();
            page.waitForURL("**/functions/new");
            page.getByLabel("Name", new Page.GetByLabelOptions().setExact(true)).fill("shout");
            assertThat(page.locator(".ace_editor")).isVisible();
            assertThat(page.locator("#fn-code")).isHidden();
            type(
                    page,
                    "function transform(action, record, changes, metadata) {\n"
                            + "return {id: record.id, status: record.status.toUpperCase()};\n}");
            assertThat(page.locator("#fn-code"))
                    .hasValue(java.util.regex.Pattern.compile(".*toUpperCase.*", java.util.regex.Pattern.DOTALL));

            page.locator("#test-table")
                    .selectOption(
                            new com.microsoft.playwright.options.SelectOption().setLabel("source: public.orders"));
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Capture live messages"))
                    .click();
            assertThat(page.locator("#capture-note")).containsText("message(s) of public.orders");
            assertThat(page.locator("#test-input"))
                    .hasValue(java.util.regex.Pattern.compile(".*\"new\".*", java.util.regex.Pattern.DOTALL));
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Run on these messages"))
                    .click();
            // The first call starts the sandbox, which takes a few seconds.
            assertThat(page.locator("#test-output .result-output").first())
                    .containsText("NEW", new LocatorAssertions.ContainsTextOptions().setTimeout(60_000));
            assertThat(page.locator("#test-output")).containsText("Time:");
            tab.screenshot("function-editor");

            type(page, "function transform(action, record, changes, metadata) {\n  return {;\n}");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Run on these messages"))
                    .click();
            assertThat(page.locator("#test-panel [data-errors]"))
                    .containsText("line 2", new LocatorAssertions.ContainsTextOptions().setTimeout(30_000));

            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Use a synthetic message"))
                    .click();
            assertThat(page.locator("#capture-note")).containsText("synthetic");
            type(
                    page,
                    "function transform(action, record, changes, metadata) {\n"
                            + "return {id: record.id, status: record.status.toUpperCase()};\n}");
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Run on these messages"))
                    .click();
            assertThat(page.locator("#test-output .result-output").first())
                    .containsText("EXAMPLE", new LocatorAssertions.ContainsTextOptions().setTimeout(30_000));

            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Add function"))
                    .click();
            page.waitForURL("**/functions/shout");
            assertThat(page.locator("#fn-code"))
                    .hasValue(java.util.regex.Pattern.compile(".*toUpperCase.*", java.util.regex.Pattern.DOTALL));

            assertThat(sluice.api()
                            .patch("/api/sinks/hook", "{\"transform\": \"shout\"}")
                            .status())
                    .isEqualTo(200);
            page.navigate("/functions");
            assertThat(page.locator("table.functions tbody tr").first()).containsText("shout");
            assertThat(page.locator("table.functions tbody tr").first()).containsText("transform");
            assertThat(page.locator("table.functions a.used-by")).hasText("hook");
            tab.screenshot("functions");
            // The syntax error's 422 is shown on the page; Chromium also logs it.
            tab.errors().removeIf(e -> e.contains("422") && e.contains("/api/functions/test"));
            tab.assertNoErrors();
        }
    }

    /** Replaces the editor's code, typed as a user pastes it. */
    private static void type(Page page, String code) {
        page.locator(".ace_content").click();
        page.keyboard().press("Control+A");
        page.keyboard().press("Delete");
        page.keyboard().insertText(code);
    }

    @Test
    void withoutASessionThePagesSendYouToSignIn() throws Exception {
        HttpClient http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        for (String path : new String[] {"/functions", "/functions/new", "/functions/shout"}) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(base() + path)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path).isEqualTo(303);
            assertThat(r.headers().firstValue("Location")).hasValue("/sign-in");
        }
    }

    private static String base() {
        return "http://localhost:" + sluice.server().port();
    }
}
