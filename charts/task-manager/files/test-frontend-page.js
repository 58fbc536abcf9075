// helm test: the frontend serves its sign-in page, and sends a visitor without a session there.
const fail = (msg) => { console.error("FAIL " + msg); process.exit(1); };
const login = process.env.TARGET_URL + "/login";
const res = await fetch(login);
const body = await res.text();
if (res.status !== 200 || !/<html/i.test(body) || !/type="password"/.test(body)) fail(`GET ${login}: ${res.status} ${body.slice(0, 300)}`);
const home = process.env.TARGET_URL + "/";
const anonymous = await fetch(home, { redirect: "manual" });
if (anonymous.status !== 302 && anonymous.status !== 303) fail(`GET ${home} without a session: ${anonymous.status}, expected a redirect to /login`);
if (!new URL(anonymous.headers.get("location") ?? "", home).pathname.startsWith("/login")) fail(`GET ${home} redirects to ${anonymous.headers.get("location")}`);
console.log(`ok GET ${login}: ${res.status}, ${body.length} bytes of HTML with a password field; GET ${home} -> /login`);
