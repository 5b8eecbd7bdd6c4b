// End-user accounts through the SDK against the real worker (wrangler dev, see global-setup.ts):
// a guest who keeps its data by linking a password, sessions kept in pluggable storage across
// "page loads", a realtime subscription that follows a refreshed token, and the webhook.
import { createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { accounts, type ChannelMessage, FlarebaseError, memoryStorage } from "../../sdk/index";
import { Recorder } from "./channels-helpers";
import { clientFor, createTestProject, rejection } from "./helpers";

const PASSWORD = "plum-violin-harbor-42";
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A browser-like client: the project's public key and its own session storage. */
function appClient(key: string, storage = memoryStorage()) {
  const client = clientFor({ key });
  cleanups.push(() => client.realtime.close());
  return { client, auth: accounts(client, { storage }), storage };
}

describe("accounts through the SDK", () => {
  it("a guest writes documents, links a password, and is the same user who still owns them", async () => {
    const { project, secretClient } = await createTestProject();
    await secretClient.request("PUT", "/v1/collections/notes/rules", {
      body: { read: "doc.owner == auth.id", create: "auth.id != null && data.owner == auth.id" },
    });
    const { client, auth } = appClient(project.keys.public);
    const guest = await auth.signInAnonymously();
    expect(guest.is_anonymous).toBe(true);
    expect(auth.currentUser?.id).toBe(guest.id);
    const note = await client.collection("notes").create({ owner: guest.id, text: "written as a guest" });

    const linked = await auth.linkPassword({ login_id: "guest@example.com", password: PASSWORD });
    expect(linked).toMatchObject({ id: guest.id, is_anonymous: false, login_id: "guest@example.com" });
    expect(auth.currentUser?.is_anonymous).toBe(false);

    // Later, elsewhere: signing in with the password is the same user, who still reads the note.
    const elsewhere = appClient(project.keys.public);
    expect((await elsewhere.auth.signIn({ login_id: "guest@example.com", password: PASSWORD })).id).toBe(guest.id);
    const page = await elsewhere.client.collection("notes").list();
    expect(page.items.map((item) => item.id)).toEqual([note.id]);
    expect((await elsewhere.client.auth.me()).user_id).toBe(guest.id);
  });

  it("keeps the session in its storage: a new client on the same storage is signed in; sign-out ends it", async () => {
    const { project } = await createTestProject();
    const storage = memoryStorage();
    const first = appClient(project.keys.public, storage);
    const changes: string[] = [];
    first.auth.onAuthStateChange(({ type }) => changes.push(type));
    const user = await first.auth.signUpMember({ login_id: "ada@example.com", password: PASSWORD, nickname: "Ada" });
    expect(user.display_name).toBe("Ada");

    // A reload: a new client on the same storage.
    const reloaded = appClient(project.keys.public, storage);
    expect((await reloaded.auth.ready())?.id).toBe(user.id);
    expect((await reloaded.client.auth.me()).user_id).toBe(user.id);
    expect((await reloaded.auth.sessions.list()).filter((session) => session.current)).toHaveLength(1);

    await reloaded.auth.signOut();
    expect(reloaded.auth.currentUser).toBeNull();
    expect(
      await storage.getItem(`flarebase.session:${reloaded.client.url}:${project.keys.public.split("_")[1]}`),
    ).toBeNull();
    // The first client's refresh token belonged to the same session: it is over.
    const ended = await rejection(() => first.auth.refresh());
    expect(ended).toBeInstanceOf(FlarebaseError);
    expect((ended as FlarebaseError).code).toBe("invalid_refresh_token");
    expect(first.auth.currentUser).toBeNull();
    expect(changes).toEqual(["signed_in", "signed_out"]);
  });

  it("a realtime subscription follows a refreshed token and misses nothing", async () => {
    const { project, secretClient } = await createTestProject();
    const { client, auth } = appClient(project.keys.public);
    const user = await auth.signUp({ login_id: "live@example.com", password: PASSWORD });
    const name = `acc-${crypto.randomUUID().slice(0, 8)}`;
    const seen = new Recorder<ChannelMessage>();
    const channel = client.realtime.channels.get(name);
    channel.on(seen.push);
    await client.connection.once("connected");
    expect(channel.connection?.user_id).toBe(user.id);

    const publisher = secretClient.realtime.channels.get(name);
    cleanups.push(() => secretClient.realtime.close());
    for (let n = 1; n <= 3; n++) await publisher.publish("n", n);
    await seen.count(3);

    // JWTs carry whole seconds: a refresh within the same second as the sign-in would sign the
    // very same token (and rightly reconnect nothing), so step into the next second first.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const before = await auth.accessToken();
    const firstConnection = channel.connection?.connection_id;
    const states = new Recorder<{ state: string }>();
    client.connection.on(states.push);
    await auth.refresh();
    expect(await auth.accessToken()).not.toBe(before);
    // The new token reconnects the socket (a new connection, the same user), which resumes.
    await states.until((events) => events.some((event) => event.state === "connected"), "reconnected");
    expect(channel.connection?.connection_id).not.toBe(firstConnection);
    expect(channel.connection?.user_id).toBe(user.id);
    for (let n = 4; n <= 6; n++) await publisher.publish("n", n);
    await seen.count(6);
    expect(seen.items.map((message) => message.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seen.items.map((message) => message.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("resets a password with a token the app's server asked for and delivered", async () => {
    const { project, secretClient } = await createTestProject();
    const { auth } = appClient(project.keys.public);
    await auth.signUp({ login_id: "forgot@example.com", password: PASSWORD });
    const server = accounts(secretClient);
    const { token } = await server.requestPasswordReset({ login_id: "forgot@example.com" });
    const other = appClient(project.keys.public);
    const user = await other.auth.resetPassword({ token, new_password: "a-fresh-passphrase" });
    expect(other.auth.currentUser?.id).toBe(user.id);
    // The old session ended with the reset.
    expect(((await rejection(() => auth.refresh())) as FlarebaseError).code).toBe("invalid_refresh_token");
    await appClient(project.keys.public).auth.signIn({
      login_id: "forgot@example.com",
      password: "a-fresh-passphrase",
    });
  });

  it("sends account events to the project's webhook, signed", async () => {
    const { project, secretClient } = await createTestProject();
    const received = new Recorder<{ body: string; signature: string | undefined }>();
    const hook = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        received.push({ body, signature: request.headers["x-flarebase-signature"] as string | undefined });
        response.end("ok");
      });
    });
    await new Promise<void>((done) => hook.listen(0, "127.0.0.1", done));
    cleanups.push(() => hook.close());
    const address = hook.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const settings = await secretClient.request<{ webhook_secret: string }>("PATCH", "/v1/auth/settings", {
      body: { webhook_url: `http://127.0.0.1:${port}/hook` },
    });
    expect(settings.webhook_secret).toMatch(/^whsec_/);
    const { auth } = appClient(project.keys.public);
    const user = await auth.signUp({ login_id: "hooked@example.com", password: PASSWORD });
    const [event] = await received.count(1);
    const payload = JSON.parse(event?.body ?? "{}");
    expect(payload).toMatchObject({ type: "user.created", project_id: project.id, data: { user: { id: user.id } } });
    const [, timestamp, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(event?.signature ?? "") ?? [];
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(settings.webhook_secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const expected = new Uint8Array(
      await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${timestamp}.${event?.body}`)),
    );
    expect(mac).toBe(Buffer.from(expected).toString("hex"));
  });
});
