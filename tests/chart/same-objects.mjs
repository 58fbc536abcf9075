#!/usr/bin/env node
// Whether two renders hold the same Kubernetes objects, document by document, as the API server
// would read them: YAML compared parsed, not as text (Helm 4 and Helm 3 lay out blank lines and
// the ends of block scalars differently). Prints the first document that differs.
//   node tests/chart/same-objects.mjs A.yaml B.yaml   exit 0 when the same, 1 otherwise
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { parseAllDocuments } from "yaml";

const [a, b] = process.argv.slice(2).map((file) =>
  parseAllDocuments(readFileSync(file, "utf8"))
    .map((doc) => doc.toJS())
    .filter((object) => object !== null),
);
for (let i = 0; i < Math.max(a.length, b.length); i++) {
  if (!isDeepStrictEqual(a[i], b[i])) {
    const name = (o) => (o ? `${o.kind} ${o.metadata?.name}` : "nothing");
    console.log(`document ${i + 1} differs: ${name(a[i])} against ${name(b[i])}`);
    console.log(JSON.stringify(a[i], null, 1), "\n---\n", JSON.stringify(b[i], null, 1));
    process.exit(1);
  }
}
console.log(`${a.length} objects, the same in both`);
