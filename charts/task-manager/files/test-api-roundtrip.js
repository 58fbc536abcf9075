// helm test: create -> read -> delete a task through the frontend's /api (passed through to the backend).
const base = process.env.TARGET_URL + "/api/tasks";
const fail = (msg) => { console.error("FAIL " + msg); process.exit(1); };
const title = `helm test ${new Date().toISOString()}`;
const created = await fetch(base, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ title, tags: ["helm-test"] }),
});
if (created.status !== 201) fail(`POST ${base}: ${created.status} ${await created.text()}`);
const task = await created.json();
const one = `${base}/${task.id}`;
const read = await fetch(one);
if (read.status !== 200) fail(`GET ${one}: ${read.status}`);
if ((await read.json()).title !== title) fail(`GET ${one}: title differs`);
const del = await fetch(one, { method: "DELETE" });
if (del.status !== 204) fail(`DELETE ${one}: ${del.status}`);
const gone = await fetch(one);
if (gone.status !== 404) fail(`GET ${one} after delete: ${gone.status}`);
console.log(`ok create -> read -> delete ${one}`);
