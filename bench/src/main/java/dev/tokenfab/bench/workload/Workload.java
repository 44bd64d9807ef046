package dev.tokenfab.bench.workload;

import dev.tokenfab.bench.BenchException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A benchmark workload in llama-bench style: prefill {@code promptTokens}, then generate
 * {@code generateTokens}, under a {@link Scenario}.
 *
 * <pre>
 *   pp512                 prefill 512 tokens (no generation)
 *   tg128                 generate 128 tokens after a 1-token prompt
 *   pp128+tg128           prefill 128, then generate 128
 *   pp128+tg32@offline:64          64 requests available at once
 *   pp128+tg32@server:64:2.5       64 requests arriving as a Poisson process at 2.5 requests/s
 *   pp128+tg32@server:64:2.5:7     ... with arrival seed 7 (default 1)
 * </pre>
 *
 * @param spec the text it was parsed from (used as its name in reports)
 */
public record Workload(String spec, int promptTokens, int generateTokens, Scenario scenario) {

    /** llama-bench's tg tests feed one token before generating; we do the same so "tg" has a prompt. */
    public static final int TG_ONLY_PROMPT_TOKENS = 1;
    /** Upper bound that catches typos (pp5120000) before they allocate gigabytes. */
    public static final int MAX_TOKENS = 1 << 20;
    /** Upper bound on requests per scenario, for the same reason. */
    public static final int MAX_REQUESTS = 1 << 16;

    static final String FORMS = "pp<N>, tg<N>, pp<N>+tg<M>, optionally followed by @offline:<requests> "
            + "or @server:<requests>:<requestsPerSecond>[:<seed>]";

    private static final Pattern PART = Pattern.compile("(pp|tg)(\\d+)");

    public Workload {
        if (promptTokens < 1 || generateTokens < 0) throw new IllegalArgumentException(
                "workload " + spec + ": needs promptTokens >= 1 and generateTokens >= 0");
    }

    /** Tokens processed per request (prompt + generated), the unit of prefill-only throughput. */
    public boolean generates() { return generateTokens > 0; }

    /** Number of requests the scenario runs, given the batch size. */
    public int requests(int batch) {
        return switch (scenario) {
            case Scenario.Single s -> batch;
            case Scenario.Offline o -> o.requests();
            case Scenario.Server s -> s.requests();
        };
    }

    /** Parses a comma-separated list of specs. */
    public static List<Workload> parseList(String specs) throws BenchException {
        List<Workload> out = new ArrayList<>();
        for (String s : specs.split(",")) out.add(parse(s.strip()));
        return out;
    }

    /** @throws BenchException BAD_WORKLOAD naming the offending part and the allowed forms */
    public static Workload parse(String spec) throws BenchException {
        if (spec == null || spec.isBlank()) throw bad(spec, "empty workload");
        String text = spec.strip().toLowerCase(java.util.Locale.ROOT);
        String tokensPart = text;
        Scenario scenario = new Scenario.Single();
        int at = text.indexOf('@');
        if (at >= 0) {
            tokensPart = text.substring(0, at);
            scenario = parseScenario(spec, text.substring(at + 1));
        }
        Integer pp = null, tg = null;
        for (String part : tokensPart.split("\\+", -1)) {
            Matcher m = PART.matcher(part);
            if (!m.matches()) throw bad(spec, "'" + part + "' is not pp<N> or tg<N>");
            int n = count(spec, part, m.group(2), 0, MAX_TOKENS);
            if (m.group(1).equals("pp")) {
                if (pp != null) throw bad(spec, "pp given twice");
                if (tg != null) throw bad(spec, "pp must come before tg");
                if (n == 0) throw bad(spec, "pp0 has no prompt; use tg<N> alone");
                pp = n;
            } else {
                if (tg != null) throw bad(spec, "tg given twice");
                tg = n;
            }
        }
        int prompt = pp != null ? pp : TG_ONLY_PROMPT_TOKENS;
        int gen = tg != null ? tg : 0;
        return new Workload(spec.strip(), prompt, gen, scenario);
    }

    private static Scenario parseScenario(String spec, String s) throws BenchException {
        String[] f = s.split(":", -1);
        switch (f[0]) {
            case "offline" -> {
                if (f.length != 2) throw bad(spec, "offline needs @offline:<requests>");
                return new Scenario.Offline(count(spec, "requests", f[1], 1, MAX_REQUESTS));
            }
            case "server" -> {
                if (f.length != 3 && f.length != 4) throw bad(spec, "server needs @server:<requests>:<requestsPerSecond>[:<seed>]");
                int requests = count(spec, "requests", f[1], 1, MAX_REQUESTS);
                double rate;
                try {
                    rate = Double.parseDouble(f[2]);
                } catch (NumberFormatException e) {
                    throw bad(spec, "requestsPerSecond '" + f[2] + "' is not a number");
                }
                if (!(rate > 0) || Double.isInfinite(rate)) throw bad(spec, "requestsPerSecond must be > 0, got " + f[2]);
                long seed = 1;
                if (f.length == 4) {
                    try {
                        seed = Long.parseLong(f[3]);
                    } catch (NumberFormatException e) {
                        throw bad(spec, "seed '" + f[3] + "' is not an integer");
                    }
                }
                return new Scenario.Server(requests, rate, seed);
            }
            default -> throw bad(spec, "unknown scenario '" + f[0] + "' (allowed: offline, server)");
        }
    }

    private static int count(String spec, String what, String digits, int min, int max) throws BenchException {
        long v;
        try {
            v = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw bad(spec, what + ": '" + digits + "' is not a whole number");
        }
        if (v < min || v > max) throw bad(spec, what + ": " + v + " outside [" + min + ", " + max + "]");
        return (int) v;
    }

    private static BenchException bad(String spec, String why) {
        return new BenchException(BenchException.ErrorCode.BAD_WORKLOAD,
                "workload '" + spec + "': " + why + "; allowed forms: " + FORMS);
    }
}
