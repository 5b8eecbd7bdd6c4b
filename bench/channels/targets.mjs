/**
 * The channel benchmarks' three servers, all in the fixture worker of bench/channels/wrangler.toml
 * (one local workerd): Flarebase channels, a minimal partyserver room and a bare Durable Object
 * broadcast loop, and how each one's clients connect, publish and read deliveries.
 */
export const CHANNELS_CONFIG = "bench/channels/wrangler.toml";

/**
 * The three servers and how each one's clients connect, publish and read deliveries.
 *
 * @param {string} base the server's `ws://` URL
 * @param {{ public: string, secret: string }} keys the bench project's keys
 */
export function benchTargets(base, keys) {
  const plain = (label, path) => ({
    label,
    waitsForHello: false,
    connect: (room) => ({ url: `${base}${path}${room}` }),
    frame: (i, t) => `{"i":${i},"t":${t}}`,
    deliveries: (text) => [JSON.parse(text)],
  });
  return [
    {
      label: "flarebase",
      waitsForHello: true,
      // The publisher is a server (secret key in a header); subscribers use the public key like
      // browsers do (subprotocol).
      connect: (room, role) =>
        role === "pub"
          ? { url: `${base}/v1/realtime/channels/${room}`, options: { headers: { "X-API-Key": keys.secret } } }
          : {
              url: `${base}/v1/realtime/channels/${room}`,
              protocols: ["flarebase.v1", `flarebase.key.${keys.public}`],
            },
      frame: (i, t) => `{"v":1,"type":"publish","ref":${i},"id":"m${i}","name":"b","data":{"i":${i},"t":${t}}}`,
      deliveries: (text) => {
        const frame = JSON.parse(text);
        return frame.type === "messages" ? frame.items.map((item) => item.data) : [];
      },
    },
    plain("partyserver", "/parties/party-room/"),
    plain("bare DO", "/bare/"),
  ];
}
