// helm test: the backend API is ready (database reachable, migrations applied).
// A refused or failed connection is retried for up to 20 s: with NetworkPolicy on, the policy
// controller admits this new pod's address a moment after it starts (seen with kube-router:
// ECONNREFUSED on the first try). A non-200 answer fails at once.
const url = process.env.TARGET_URL + "/readyz";
const deadline = Date.now() + 20_000;
let res;
for (;;) {
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    break;
  } catch (error) {
    if (Date.now() > deadline) {
      console.error(`FAIL GET ${url}: ${error.cause?.code ?? error.cause?.errors?.[0]?.code ?? error.message}`);
      process.exit(1);
    }
    console.log(`retry GET ${url}: ${error.cause?.code ?? error.cause?.errors?.[0]?.code ?? error.message}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
if (res.status !== 200) {
  console.error(`FAIL GET ${url}: ${res.status}`, (await res.text()).slice(0, 300));
  process.exit(1);
}
console.log(`ok GET ${url}: 200`);
