package dev.sluice.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.fixture.ServerFixture;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The console's sign-in, session and page security over real HTTP (the browser tests come with the pages): a
 * redirect to sign-in, a refused token, the session cookie's flags, the overview of a live database, the CSRF token
 * and origin check of every POST, sign-out.
 */
class ConsoleIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static HttpClient http =
            HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    static String base;

    @BeforeAll
    static void start() {
        sluice.start();
        base = "http://localhost:" + sluice.server().port();
        String db = sluice.database("console", "CREATE TABLE orders (id int PRIMARY KEY)");
        assertThat(sluice.api()
                        .post("/api/postgres_databases", sluice.databaseJson("shop", db))
                        .status())
                .isEqualTo(201);
    }

    @Test
    void withoutASessionTheConsoleSendsYouToSignInAndEveryPageIsLockedDown() throws Exception {
        HttpResponse<String> r = get("/", null);
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(r.headers().firstValue("Location")).hasValue("/sign-in");
        HttpResponse<String> page = get("/sign-in", null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<label for=\"token\">API token</label>", "name=\"token\"");
        assertThat(page.headers().firstValue("Content-Security-Policy"))
                .hasValueSatisfying(csp -> assertThat(csp).contains("default-src 'none'", "frame-ancestors 'none'"));
        assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        HttpResponse<String> css = get("/console/assets/console.css", null);
        assertThat(css.statusCode()).isEqualTo(200);
        assertThat(css.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).contains("text/css"));
        assertThat(css.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        // Served from memory with a validator: a revalidation is a 304; nothing outside the assets is reachable.
        String etag = css.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> again = http.send(
                HttpRequest.newBuilder(URI.create(base + "/console/assets/console.css"))
                        .header("If-None-Match", etag)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(get("/console/assets/vendor/htmx/htmx.min.js", null).statusCode())
                .isEqualTo(200);
        assertThat(get("/console/assets/%2e%2e/Console.class", null).statusCode())
                .isEqualTo(404);
        assertThat(get("/console/assets/nothing-here.js", null).statusCode()).isEqualTo(404);
    }

    @Test
    void aWrongTokenOrAFormFromElsewhereIsRefused() throws Exception {
        HttpResponse<String> wrong = post("/sign-in", "token=sluice_nope", base, null);
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).contains("role=\"alert\"", "not an API token");
        assertThat(wrong.headers().firstValue("Set-Cookie")).isEmpty();
        HttpResponse<String> foreign = post("/sign-in", "token=" + ServerFixture.TOKEN, "https://evil.example", null);
        assertThat(foreign.statusCode()).isEqualTo(403);
        HttpResponse<String> noOrigin = post("/sign-in", "token=" + ServerFixture.TOKEN, null, null);
        assertThat(noOrigin.statusCode()).isEqualTo(403);
    }

    @Test
    void signedInTheOverviewShowsTheDatabasesAndSignOutNeedsTheCsrfToken() throws Exception {
        HttpResponse<String> in = post("/sign-in", "token=" + ServerFixture.TOKEN, base, null);
        assertThat(in.statusCode()).isEqualTo(303);
        String setCookie = in.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).contains("HttpOnly", "SameSite=Strict", "Path=/").doesNotContain(ServerFixture.TOKEN);
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));

        HttpResponse<String> overview = get("/", cookie);
        assertThat(overview.statusCode()).isEqualTo(200);
        assertThat(overview.body()).contains("<h1>Overview</h1>", "shop", "Sign out");
        Matcher csrf = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(overview.body());
        assertThat(csrf.find()).isTrue();

        assertThat(post("/sign-out", "csrf=wrong", base, cookie).statusCode()).isEqualTo(403);
        assertThat(post("/sign-out", "csrf=" + csrf.group(1), "https://evil.example", cookie)
                        .statusCode())
                .isEqualTo(403);
        assertThat(get("/", cookie).statusCode()).as("still signed in").isEqualTo(200);
        HttpResponse<String> out = post("/sign-out", "csrf=" + enc(csrf.group(1)), base, cookie);
        assertThat(out.statusCode()).isEqualTo(303);
        assertThat(out.headers().firstValue("Set-Cookie"))
                .hasValueSatisfying(c -> assertThat(c).contains("Max-Age=0"));
        assertThat(get("/", cookie).statusCode()).as("the session is over").isEqualTo(303);
    }

    @Test
    void theSessionCookieOpensTheApiAndAChangeNeedsTheCsrfHeaderFromThisOrigin() throws Exception {
        HttpResponse<String> in = post("/sign-in", "token=" + ServerFixture.TOKEN, base, null);
        String setCookie = in.headers().firstValue("Set-Cookie").orElseThrow();
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        Matcher csrf = Pattern.compile("name=\"csrf-token\" content=\"([^\"]+)\"")
                .matcher(get("/", cookie).body());
        assertThat(csrf.find()).isTrue();

        assertThat(get("/api/api_keys", cookie).statusCode())
                .as("a read needs only the session")
                .isEqualTo(200);
        assertThat(get("/api/api_keys", null).statusCode()).isEqualTo(401);
        String key = "{\"name\": \"from-console\"}";
        HttpResponse<String> noHeader = api("POST", "/api/api_keys", key, cookie, base, null);
        assertThat(noHeader.statusCode()).isEqualTo(403);
        assertThat(noHeader.body()).contains("X-CSRF-Token");
        assertThat(api("POST", "/api/api_keys", key, cookie, "https://evil.example", csrf.group(1))
                        .statusCode())
                .as("another origin, even with the token")
                .isEqualTo(403);
        assertThat(api("POST", "/api/api_keys", key, cookie, base, "wrong").statusCode())
                .isEqualTo(403);
        HttpResponse<String> ok = api("POST", "/api/api_keys", key, cookie, base, csrf.group(1));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
        // A bearer token is checked as before: a wrong one is refused even with a live session cookie.
        HttpResponse<String> wrongBearer = http.send(
                HttpRequest.newBuilder(URI.create(base + "/api/api_keys"))
                        .header("Cookie", cookie)
                        .header("Authorization", "Bearer sluice_wrong")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(wrongBearer.statusCode()).isEqualTo(401);
    }

    private static HttpResponse<String> api(
            String method, String path, String json, String cookie, String origin, String csrf)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json")
                .header("Cookie", cookie)
                .header("Origin", origin)
                .method(method, HttpRequest.BodyPublishers.ofString(json));
        if (csrf != null) {
            b.header("X-CSRF-Token", csrf);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path, String cookie) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET();
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String form, String origin, String cookie)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (origin != null) {
            b.header("Origin", origin);
        }
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
