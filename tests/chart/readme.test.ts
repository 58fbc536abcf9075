// The chart README's values table is generated from the values.yaml files and must be current.
import { describe, expect, it } from "vitest";
import { readmeTable, table, valueRows } from "./values-table.mjs";

describe("chart README", () => {
  it("documents every value (each has a `# -- ` comment)", () => {
    expect(valueRows().errors).toEqual([]);
  });

  it("values table equals the generated one (node tests/chart/values-table.mjs --write)", () => {
    expect(readmeTable().current).toBe(table());
  });

  it("lists the values users set most", () => {
    const keys = valueRows().rows.map((r) => r.key);
    for (const k of ["frontend.service.nodePort", "backend-api.migrations.enabled", "postgresql.persistence.size", "global.database.existingSecret", "frontend.session.existingSecret", "postgresql.enabled"]) {
      expect(keys).toContain(k);
    }
  });
});
