/**
 * Accounts benchmark (`npm run bench -- auth`), on the project's own Worker (wrangler.toml) and
 * local D1, one request at a time over loopback:
 * - sign-in (PBKDF2-SHA-256 at the configured PASSWORD_HASH_ITERATIONS, then a session): p50, p99
 *   and workerd CPU per request, beside minting a token with the secret key (no hash) as the
 *   baseline of a request that signs a JWT;
 * - refresh (rotation, no hash): p50, p99 and CPU, same baseline;
 * - a documents GET with an account's access token vs with a minted token: they must cost the
 *   same (no lookup per request for account tokens), interleaved so drift hits both alike.
 * CPU comes from /proc (workerd's user + system time, 10 ms ticks), so it includes the local D1
 * work that runs in the same process: an upper bound of the Worker's own CPU. About a minute.
 */
import { readFile } from "node:fs/promises";
import { percentile, ratio, round, withBenchServer } from "../local-server.mjs";
import { cpuMsBetween, workerdCpuMs } from "./workerd-cpu.mjs";

export const name = "auth";
export const description =
  "accounts: sign-in (PBKDF2 at the configured cost) and refresh latency and CPU vs minting a token, and a documents GET with an account token vs a minted token";

const CONFIG = "wrangler.toml";
const SIGN_INS = 60;
const REFRESHES = 100;
const GETS = 300;
const PASSWORD = "plum-violin-harbor-42";

export async function run() {
  const iterations = /PASSWORD_HASH_ITERATIONS\s*=\s*"(\d+)"/.exec(await readFile(CONFIG, "utf8"))?.[1] ?? "100000";
  return withBenchServer(CONFIG, async ({ url, project, pid }) => {
    const call = async (method, path, headers, body) => {
      const started = performance.now();
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await response.text();
      const ms = performance.now() - started;
      if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
      return { ms, body: text ? JSON.parse(text) : undefined };
    };
    const secret = { "X-API-Key": project.keys.secret };
    const publicKey = { "X-API-Key": project.keys.public };

    /** Runs `count` requests one at a time: latencies (ascending) and workerd CPU per request. */
    const measure = async (count, send) => {
      const latencies = [];
      const cpuBefore = await workerdCpuMs(pid);
      for (let i = 0; i < count; i++) latencies.push(await send(i));
      const cpu = cpuMsBetween(cpuBefore, await workerdCpuMs(pid));
      latencies.sort((a, b) => a - b);
      return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpu: cpu / count };
    };
    const mint = (i) => call("POST", "/v1/auth/token", secret, { user_id: `bench-${i}` }).then((r) => r.ms);

    // Users made by the app's server (no sign-up limit), each signed in once: the per-login-id
    // limit is never reached and the per-address one (100 per 15 minutes) is not either.
    for (let i = 0; i < SIGN_INS; i++) {
      await call("POST", "/v1/auth/users", secret, { login_id: `user${i}@bench.example`, password: PASSWORD });
    }
    await call("POST", "/v1/auth/sign-in", publicKey, { login_id: "user0@bench.example", password: PASSWORD });
    await mint(0);

    let session;
    const signIn = await measure(SIGN_INS, async (i) => {
      const answer = await call("POST", "/v1/auth/sign-in", publicKey, {
        login_id: `user${i}@bench.example`,
        password: PASSWORD,
      });
      session = answer.body;
      return answer.ms;
    });
    const mintForSignIn = await measure(SIGN_INS, mint);

    let refreshToken = session.refresh_token;
    const refresh = await measure(REFRESHES, async () => {
      const answer = await call("POST", "/v1/auth/refresh", publicKey, { refresh_token: refreshToken });
      refreshToken = answer.body.refresh_token;
      session = answer.body;
      return answer.ms;
    });
    const mintForRefresh = await measure(REFRESHES, mint);

    // The same document, read by the same user id with either kind of token.
    await call("PUT", "/v1/collections/bench/rules", secret, { read: "doc.owner == auth.id" });
    const userId = session.user.id;
    const doc = (await call("POST", "/v1/collections/bench/documents", secret, { data: { owner: userId, n: 1 } })).body;
    const minted = (await call("POST", "/v1/auth/token", secret, { user_id: userId })).body.token;
    const tokens = { account: session.access_token, minted };
    const gets = { account: [], minted: [] };
    const getPath = `/v1/collections/bench/documents/${doc.id}`;
    for (let i = 0; i < 20; i++)
      for (const token of Object.values(tokens)) await call("GET", getPath, { Authorization: `Bearer ${token}` });
    for (let i = 0; i < GETS; i++) {
      const order = i % 2 === 0 ? ["account", "minted"] : ["minted", "account"];
      for (const kind of order) {
        gets[kind].push((await call("GET", getPath, { Authorization: `Bearer ${tokens[kind]}` })).ms);
      }
    }
    const sorted = (values) => [...values].sort((a, b) => a - b);
    const get = {
      account: { p50: percentile(sorted(gets.account), 50), p99: percentile(sorted(gets.account), 99) },
      minted: { p50: percentile(sorted(gets.minted), 50), p99: percentile(sorted(gets.minted), 99) },
    };

    const row = (measure, metric, ours, baseline, baselineName) => ({
      measure,
      metric,
      ours: round(ours, 2),
      baseline: round(baseline, 2),
      "ours / baseline": ratio(ours, baseline),
      "baseline is": baselineName,
    });
    const signInName = `sign-in (PBKDF2 ${Number(iterations).toLocaleString("en-US")})`;
    return [
      row(signInName, "p50 ms", signIn.p50, mintForSignIn.p50, "mint a token"),
      row(signInName, "p99 ms", signIn.p99, mintForSignIn.p99, "mint a token"),
      row(signInName, "CPU ms/request", signIn.cpu, mintForSignIn.cpu, "mint a token"),
      row("refresh (rotation)", "p50 ms", refresh.p50, mintForRefresh.p50, "mint a token"),
      row("refresh (rotation)", "p99 ms", refresh.p99, mintForRefresh.p99, "mint a token"),
      row("refresh (rotation)", "CPU ms/request", refresh.cpu, mintForRefresh.cpu, "mint a token"),
      row("documents GET", "p50 ms", get.account.p50, get.minted.p50, "same GET, minted token"),
      row("documents GET", "p99 ms", get.account.p99, get.minted.p99, "same GET, minted token"),
    ];
  });
}
