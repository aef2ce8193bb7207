// A TCP relay: node relay.mjs LISTEN_HOST PORT TARGET_HOST. The engine inside a test namespace
// streams its events to the Automation API's server on the test process's loopback, which the
// namespace cannot reach; the pulumi wrapper runs this relay on the namespace link for one command.
import net from "node:net";

const [host, port, target] = process.argv.slice(2);
net
  .createServer((client) => {
    const upstream = net.connect(Number(port), target);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
  })
  .listen(Number(port), host, () => process.stdout.write("ready\n"));
