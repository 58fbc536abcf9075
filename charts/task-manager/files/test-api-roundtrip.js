// helm test: sign in as the first admin (POST /api/login), then create -> read -> delete a task
// with that token through the frontend's /api (passed through to the backend), and sign out.
const api = process.env.TARGET_URL + "/api";
const base = process.env.TARGET_URL + "/api/tasks";
const fail = (msg) => { console.error("FAIL " + msg); process.exit(1); };
const json = { "content-type": "application/json" };

const login = await fetch(api + "/login", {
  method: "POST",
  headers: json,
  body: JSON.stringify({ email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD }),
});
if (login.status !== 200) fail(`POST ${api}/login as ${process.env.ADMIN_EMAIL}: ${login.status} ${await login.text()}`);
const { token } = await login.json();
if (typeof token !== "string" || !token) fail(`POST ${api}/login: no token`);
const auth = { authorization: `Bearer ${token}` };

const anonymous = await fetch(base);
if (anonymous.status !== 401) fail(`GET ${base} without a token: ${anonymous.status}, expected 401`);
const title = `helm test ${new Date().toISOString()}`;
const created = await fetch(base, {
  method: "POST",
  headers: { ...json, ...auth },
  body: JSON.stringify({ title, tags: ["helm-test"] }),
});
if (created.status !== 201) fail(`POST ${base}: ${created.status} ${await created.text()}`);
const task = await created.json();
const one = `${base}/${task.id}`;
const read = await fetch(one, { headers: auth });
if (read.status !== 200) fail(`GET ${one}: ${read.status}`);
if ((await read.json()).title !== title) fail(`GET ${one}: title differs`);
const del = await fetch(one, { method: "DELETE", headers: auth });
if (del.status !== 204) fail(`DELETE ${one}: ${del.status}`);
const gone = await fetch(one, { headers: auth });
if (gone.status !== 404) fail(`GET ${one} after delete: ${gone.status}`);
const logout = await fetch(api + "/logout", { method: "POST", headers: auth });
if (logout.status !== 204) fail(`POST ${api}/logout: ${logout.status}`);
const revoked = await fetch(base, { headers: auth });
if (revoked.status !== 401) fail(`GET ${base} with the signed-out token: ${revoked.status}, expected 401`);
console.log(`ok signed in as ${process.env.ADMIN_EMAIL}, create -> read -> delete ${one}, signed out`);
