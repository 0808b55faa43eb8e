// BullMQ's durable add rate, for benchmark 1: 64 adds in flight at once (as
// wrk's 64 connections), for SECONDS, against Redis on 127.0.0.1:PORT
// (started by bench/run with appendfsync always). Prints "adds_per_s=N".
// Usage: node bullmq.js PORT SECONDS
const { Queue } = require('bullmq');

async function main() {
  const port = Number(process.argv[2]);
  const seconds = Number(process.argv[3]);
  const queue = new Queue('bench', { connection: { host: '127.0.0.1', port } });
  await queue.waitUntilReady();
  let done = 0;
  const end = Date.now() + seconds * 1000;
  async function worker() {
    while (Date.now() < end) {
      await queue.add('call', { n: 1 }, { delay: 8640000000 });
      done += 1;
    }
  }
  const start = Date.now();
  await Promise.all(Array.from({ length: 64 }, worker));
  const elapsed = (Date.now() - start) / 1000;
  console.log(`adds_per_s=${Math.round(done / elapsed)}`);
  await queue.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
