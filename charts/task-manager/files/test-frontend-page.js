// helm test: the frontend serves its page.
const url = process.env.TARGET_URL + "/";
const res = await fetch(url);
const body = await res.text();
if (res.status !== 200 || !/<html/i.test(body)) {
  console.error(`FAIL GET ${url}: ${res.status}`, body.slice(0, 300));
  process.exit(1);
}
console.log(`ok GET ${url}: ${res.status}, ${body.length} bytes of HTML`);
