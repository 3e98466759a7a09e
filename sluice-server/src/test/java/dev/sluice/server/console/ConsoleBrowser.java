package dev.sluice.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.AriaRole;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Debian's Chromium, driven by Playwright, for the console's tests: headless, with the flags this network needs and a
 * fresh profile. Skips the calling tests with a notice when there is no Chromium ({@code .ci/run} installs it, so CI
 * runs them). Each {@link #open} is a new browser context: no cookies from another test.
 */
final class ConsoleBrowser implements AfterAllCallback {
    /** Where screenshots go; {@code docs/img} holds the current ones (see docs/console.md). */
    static final Path SHOTS = Paths.get("target", "console-screenshots");

    private Playwright playwright;
    private Browser browser;

    /** Chromium's path: {@code SLUICE_CHROMIUM}, else {@code /usr/bin/chromium}. */
    static Path chromium() {
        String given = System.getenv("SLUICE_CHROMIUM");
        return Paths.get(given != null ? given : "/usr/bin/chromium");
    }

    /** Skips the calling test, with a notice, when Chromium is not installed. */
    static void assumeInstalled() {
        boolean found = Files.isExecutable(chromium());
        if (!found) {
            System.err.println("NOTICE: " + chromium() + " is not installed: the console's browser tests are skipped."
                    + " Install Debian's chromium (.ci/run does) to run them.");
        }
        Assumptions.assumeTrue(found, "chromium is not installed");
    }

    /** A signed-out page in a new context, recording the page's console errors and failed requests. */
    synchronized Tab open(String base) {
        assumeInstalled();
        if (browser == null) {
            playwright = Playwright.create(
                    new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
            browser = playwright
                    .chromium()
                    .launch(new BrowserType.LaunchOptions()
                            .setExecutablePath(chromium())
                            .setHeadless(true)
                            .setArgs(List.of(
                                    "--no-sandbox",
                                    "--disable-gpu",
                                    "--disable-quic",
                                    "--no-first-run",
                                    "--disable-background-networking",
                                    "--disable-component-update",
                                    // Playwright gives each launch a fresh, temporary profile.
                                    "--disable-sync")));
        }
        BrowserContext context = browser.newContext(
                new Browser.NewContextOptions().setBaseURL(base).setViewportSize(1280, 800));
        context.setDefaultTimeout(30_000);
        Page page = context.newPage();
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        page.onConsoleMessage(m -> {
            // Chromium logs every 4xx answer; one from /api is an error the page shows the user, not a fault.
            boolean apiRefusal = m.text().startsWith("Failed to load resource")
                    && m.text().matches(".*status of 4[0-9][0-9].*")
                    && m.location().contains("/api/");
            if ("error".equals(m.type()) && !apiRefusal) {
                errors.add(m.text() + " at " + m.location());
            }
        });
        page.onPageError(e -> errors.add("uncaught: " + e));
        page.onResponse(r -> {
            // 4xx answers to the console's own API calls are shown on the page; other failures are errors.
            if (r.status() >= 500 || (r.status() == 404 && !r.url().contains("/api/"))) {
                errors.add(r.status() + " " + r.url());
            }
        });
        return new Tab(context, page, errors);
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        if (browser != null) {
            browser.close();
            playwright.close();
            browser = null;
        }
    }

    /** One browser context and its page. */
    record Tab(BrowserContext context, Page page, List<String> errors) implements AutoCloseable {
        /** Signs in with {@code token} from the sign-in page and waits for the overview. */
        Tab signIn(String token) {
            page.navigate("/sign-in");
            page.getByLabel("API token").fill(token);
            page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Sign in"))
                    .click();
            page.waitForURL("**/");
            return this;
        }

        /** Saves a full-page screenshot as {@code target/console-screenshots/<name>.png}. */
        Path screenshot(String name) {
            try {
                Files.createDirectories(SHOTS);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Path file = SHOTS.resolve(name + ".png");
            page.screenshot(new Page.ScreenshotOptions().setPath(file).setFullPage(true));
            return file;
        }

        /** Fails when the page logged an error, threw, or a request of it failed. */
        void assertNoErrors() {
            assertThat(errors).as("console errors and failed requests").isEmpty();
        }

        @Override
        public void close() {
            context.close();
        }
    }
}
