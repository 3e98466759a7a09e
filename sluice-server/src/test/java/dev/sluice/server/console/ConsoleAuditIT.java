package dev.sluice.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.APIResponse;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.ColorScheme;
import com.microsoft.playwright.options.LoadState;
import dev.sluice.server.fixture.ServerFixture;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every console page, in Chromium, in the light and the dark scheme and at a phone's width: no console error or failed
 * request, no broken link, and the accessibility basics (labels, names, text alternatives, contrast, heading order,
 * no sideways scrolling; see audit.js), and a keyboard can reach the page's controls in order.
 */
class ConsoleAuditIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    @RegisterExtension
    static final ConsoleBrowser chromium = new ConsoleBrowser();

    static final List<String> PAGES = List.of(
            "/",
            "/sinks/hook",
            "/sinks/hook/messages",
            "/sinks/hook/backfills",
            "/sinks/hook/trace",
            "/sinks/hook/edit",
            "/sinks/new",
            "/databases/source",
            "/databases/source/edit",
            "/databases/new",
            "/functions",
            "/functions/new",
            "/functions/shout",
            "/configuration");

    static String audit;

    @BeforeAll
    static void start() throws IOException {
        ConsoleBrowser.assumeInstalled();
        String db = sluice.database("audit", "CREATE TABLE orders (id int PRIMARY KEY, status text)");
        sluice.start(sluice.yaml(db, "") + """
                functions:
                  - name: shout
                    type: transform
                    code: |-
                      function transform(action, record, changes, metadata) {
                        return {id: record.id, status: String(record.status).toUpperCase()};
                      }
                """);
        sluice.awaitStreaming();
        try (InputStream in = ConsoleAuditIT.class.getResourceAsStream("audit.js")) {
            audit = new String(Objects.requireNonNull(in).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void everyPageIsCleanAccessibleAndLinksOnlyToPagesThatExist() {
        for (ColorScheme scheme : List.of(ColorScheme.LIGHT, ColorScheme.DARK)) {
            try (ConsoleBrowser.Tab tab = open()) {
                tab.page().emulateMedia(new Page.EmulateMediaOptions().setColorScheme(scheme));
                Set<String> links = new LinkedHashSet<>();
                List<String> problems = new ArrayList<>();
                for (String path : PAGES) {
                    Page page = tab.page();
                    assertThat(page.navigate(path).status()).as(path).isEqualTo(200);
                    page.waitForLoadState(LoadState.NETWORKIDLE);
                    @SuppressWarnings("unchecked")
                    List<String> found = (List<String>) page.evaluate(audit);
                    found.forEach(p -> problems.add(scheme + " " + path + ": " + p));
                    @SuppressWarnings("unchecked")
                    List<String> hrefs = (List<String>) page.evaluate(
                            "() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))");
                    for (String h : hrefs) {
                        if (h.startsWith("#")) {
                            assertThat(page.locator(h).count())
                                    .as(path + " links to " + h)
                                    .isPositive();
                        } else {
                            assertThat(h)
                                    .as(path + ": every link stays in the console (it works offline)")
                                    .startsWith("/");
                            links.add(h);
                        }
                    }
                }
                assertThat(problems).isEmpty();
                for (String link : links) {
                    APIResponse r = tab.context().request().get(link);
                    assertThat(r.status()).as("link " + link).isLessThan(400);
                }
                tab.assertNoErrors();
            }
        }
    }

    @Test
    void atAPhonesWidthNothingScrollsSideways() {
        try (ConsoleBrowser.Tab tab = open()) {
            tab.page().setViewportSize(375, 740);
            List<String> problems = new ArrayList<>();
            for (String path : PAGES) {
                tab.page().navigate(path);
                tab.page().waitForLoadState(LoadState.NETWORKIDLE);
                @SuppressWarnings("unchecked")
                List<String> found = (List<String>) tab.page().evaluate(audit);
                found.stream()
                        .filter(p -> p.startsWith("the page scrolls sideways"))
                        .forEach(p -> problems.add(path + ": " + p));
            }
            tab.page().navigate("/");
            tab.screenshot("overview-phone");
            assertThat(problems).isEmpty();
            tab.assertNoErrors();
        }
    }

    @Test
    void theKeyboardReachesEveryControlInOrder() {
        try (ConsoleBrowser.Tab tab = open()) {
            Page page = tab.page();
            for (String path : List.of("/", "/sinks/new", "/configuration")) {
                page.navigate(path);
                page.waitForLoadState(LoadState.NETWORKIDLE);
                page.keyboard().press("Tab");
                assertThat(page.evaluate("() => document.activeElement.textContent.trim()"))
                        .as(path + ": the first stop skips to the content")
                        .isEqualTo("Skip to content");
                int controls = ((Number) page.evaluate("() => document.querySelectorAll("
                                + "'main a[href], main button:not([disabled]), main input:not([type=hidden]),"
                                + " main select, main textarea, main summary').length"))
                        .intValue();
                Set<Object> reached = new LinkedHashSet<>();
                for (int i = 0; i < 200 && reached.size() < controls; i++) {
                    page.keyboard().press("Tab");
                    Object where = page.evaluate(
                            "() => { const e = document.activeElement;"
                                    + " if (!e || e === document.body) return null;"
                                    + " const r = e.getBoundingClientRect();"
                                    + " return (r.width > 0 && r.height > 0) || e.closest('details:not([open])')"
                                    + " ? (e.closest('main') ? e.outerHTML.slice(0, 120) : 'outside') : 'INVISIBLE ' + e.outerHTML.slice(0, 120); }");
                    assertThat(String.valueOf(where))
                            .as(path + ": focus on a visible control")
                            .doesNotStartWith("INVISIBLE");
                    if (where == null) {
                        break; // past the last control
                    }
                    if (!"outside".equals(where)) {
                        reached.add(where);
                    }
                }
                assertThat(reached).as(path + ": the keyboard reaches controls").isNotEmpty();
            }
            tab.assertNoErrors();
        }
    }

    private static ConsoleBrowser.Tab open() {
        return chromium.open("http://localhost:" + sluice.server().port()).signIn(ServerFixture.TOKEN);
    }
}
