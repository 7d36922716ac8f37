// node:timers/promises setImmediate() for the Chromium bundle: @atproto/repo's CAR reader awaits it
// every few blocks to yield to the event loop. A MessageChannel message is the browser's closest
// equivalent: a macrotask without setTimeout's 4 ms clamp for nested timers.
const waiting = [];
const channel = new MessageChannel();
channel.port1.onmessage = () => waiting.shift()();
export function setImmediate(value) {
  return new Promise((resolve) => {
    waiting.push(() => resolve(value));
    channel.port2.postMessage(null);
  });
}
export default { setImmediate };
