// helm test: the backend API is ready (database reachable, migrations applied).
const url = process.env.TARGET_URL + "/readyz";
const res = await fetch(url);
if (res.status !== 200) {
  console.error(`FAIL GET ${url}: ${res.status}`, (await res.text()).slice(0, 300));
  process.exit(1);
}
console.log(`ok GET ${url}: 200`);
