// A webhook receiver for scripts/systemd-e2e.sh, run inside the box by the bot's own binary
// (BUN_BE_BUN=1 kalshi-bot hook-receiver.js PORT FILE): every POST is appended to FILE as one JSON
// line {path, text}. Loopback only.
const { appendFileSync } = require("node:fs");
const [port, file] = process.argv.slice(2);
Bun.serve({
  hostname: "127.0.0.1",
  port: Number(port),
  async fetch(req) {
    const raw = await req.text();
    let text = raw;
    try {
      text = JSON.parse(raw).text ?? raw;
    } catch {}
    appendFileSync(file, JSON.stringify({ path: new URL(req.url).pathname, text }) + "\n");
    return new Response("ok");
  },
});
