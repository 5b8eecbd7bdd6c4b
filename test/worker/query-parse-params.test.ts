import { describe, expect, it } from "vitest";
import { ApiError } from "../../core/errors";
import {
  formatFilter,
  MAX_FILTER_TERMS,
  matches,
  parseListFilter,
  parseQueryParams,
  RESERVED_LIST_PARAMS,
} from "../../core/query";

function parseError(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected an invalid_filter error");
}

const q = (query: string) => formatFilter(parseQueryParams(new URLSearchParams(query)));
const keeps = (query: string, doc: unknown) => matches(parseQueryParams(new URLSearchParams(query)), { doc });

describe("parseQueryParams: Cocobase key syntax", () => {
  it("reads every operator suffix", () => {
    expect(q("name=al")).toBe('name == "al"');
    expect(q("name_eq=al")).toBe('name == "al"');
    expect(q("name_ne=al")).toBe('!(name == "al")');
    expect(q("age_gt=x")).toBe('age > "x"');
    expect(q("age_gte=x")).toBe('age >= "x"');
    expect(q("age_lt=x")).toBe('age < "x"');
    expect(q("age_lte=x")).toBe('age <= "x"');
    expect(q("name_contains=al")).toBe('name contains "al"');
    expect(q("name_startswith=al")).toBe('name startswith "al"');
    expect(q("name_endswith=al")).toBe('name endswith "al"');
    expect(q("tag_in=a,b")).toBe('tag in ["a", "b"]');
    expect(q("tag_notin=a,b")).toBe('!(tag in ["a", "b"])');
    expect(q("deleted_at_isnull=true")).toBe("deleted_at == null");
    expect(q("deleted_at_isnull=false")).toBe("!(deleted_at == null)");
  });

  it("compares URL text against the stored type: '18' is the number and the string", () => {
    expect(q("age_gte=18")).toBe('(age >= "18" || age >= 18)');
    expect(q("published=true")).toBe('(published == "true" || published == true)');
    expect(keeps("age_gte=18", { age: 18 })).toBe(true);
    expect(keeps("age_gte=18", { age: 17.5 })).toBe(false);
    expect(keeps("age=18", { age: "18" })).toBe(true);
    expect(keeps("published=true", { published: true })).toBe(true);
    expect(keeps("published=true", { published: 1 })).toBe(false);
    expect(keeps("tags_in=1,x", { tags: 1 })).toBe(true);
    expect(keeps("zip=01234", { zip: "01234" })).toBe(true);
    expect(q("zip=01234")).toBe('zip == "01234"');
  });

  it("ANDs plain keys, ORs the [or] group, and each [or:name] group separately", () => {
    expect(
      q("category=electronics&[or]in_stock=true&[or]pre_order=true&[or:price]on_sale=true&[or:price]price_lt=50"),
    ).toBe(
      '(category == "electronics"' +
        ' && (in_stock == "true" || in_stock == true || pre_order == "true" || pre_order == true)' +
        ' && (on_sale == "true" || on_sale == true || price < "50" || price < 50))',
    );
    const query = "category=e&[or]a=1&[or]b=1&[or:p]c=1&[or:p]d=1";
    expect(keeps(query, { category: "e", b: 1, c: 1 })).toBe(true);
    expect(keeps(query, { category: "e", b: 1 })).toBe(false);
    expect(keeps(query, { category: "x", a: 1, c: 1 })).toBe(false);
  });

  it("applies an a__or__b key's operator to every field", () => {
    expect(q("name__or__email_contains=jo hn")).toBe('(name contains "jo hn" || email contains "jo hn")');
    expect(keeps("name__or__profile.email_contains=jo", { profile: { email: "jo@x" } })).toBe(true);
  });

  it("reads dotted nested paths", () => {
    expect(q("author.role=admin")).toBe('author.role == "admin"');
  });

  it(`ignores the reserved list parameters: ${RESERVED_LIST_PARAMS.join(", ")}`, () => {
    expect(RESERVED_LIST_PARAMS).toEqual(
      expect.arrayContaining(["filter", "sort", "limit", "offset", "cursor", "select", "exclude", "total"]),
    );
    const query = RESERVED_LIST_PARAMS.map((key) => `${key}=x`).join("&");
    expect(parseQueryParams(new URLSearchParams(`${query}&a=1`))).toEqual(parseQueryParams(new URLSearchParams("a=1")));
    expect(parseQueryParams(new URLSearchParams(query))).toEqual({ kind: "const", value: true });
  });

  it("accepts JSON-typed values from a plain object (realtime subscriptions)", () => {
    expect(formatFilter(parseQueryParams({ published: true }))).toBe("published == true");
    expect(formatFilter(parseQueryParams({ age_gte: 18, tags_in: ["a", 1], x: null }))).toBe(
      '(age >= 18 && tags in ["a", 1] && x == null)',
    );
    expect(formatFilter(parseQueryParams({ tags_in: "a,b" }))).toBe('tags in ["a", "b"]');
    expect(matches(parseQueryParams({ published: true }), { doc: { published: "true" } })).toBe(false);
  });

  it("keeps repeated keys as separate ANDed conditions", () => {
    expect(q("tag_ne=a&tag_ne=b")).toBe('(!(tag == "a") && !(tag == "b"))');
  });
});

describe("parseQueryParams: errors", () => {
  it("rejects invalid field names with the parameter and the position in the key", () => {
    const cases: [string, number][] = [
      ["na'me", 0],
      ["a.b;--", 2],
      ["profile..city", 8],
      ["[or]a.1b_gt", 6],
      ["ok__or__bad-name_contains", 8],
    ];
    for (const [key, position] of cases) {
      const error = parseError(() => parseQueryParams({ [key]: "x" }));
      expect(error.code, key).toBe("invalid_filter");
      expect(error.details, key).toEqual({ param: key, position });
    }
  });

  it("rejects a malformed group prefix, a bad isnull value and object values", () => {
    expect(parseError(() => parseQueryParams({ "[and]a": "1" })).details).toEqual({ param: "[and]a", position: 0 });
    expect(() => parseQueryParams({ a_isnull: "maybe" })).toThrow(/true or false/);
    expect(() => parseQueryParams({ a: { $gt: 1 } })).toThrow(/string, number, boolean or null/);
    expect(() => parseQueryParams({ a_in: [[1]] })).toThrow(/scalars/);
  });

  it(`counts comparisons against MAX_FILTER_TERMS (${MAX_FILTER_TERMS})`, () => {
    const params = new URLSearchParams();
    for (let i = 0; i < MAX_FILTER_TERMS; i++) params.append(`f${i}`, "1");
    expect(() => parseQueryParams(params)).not.toThrow();
    params.append("one_more", "1");
    expect(parseError(() => parseQueryParams(params)).details).toMatchObject({
      param: "one_more",
      max_terms: MAX_FILTER_TERMS,
    });
  });

  it("rejects in-lists of more than 100 values", () => {
    expect(() => parseQueryParams({ a_in: Array.from({ length: 101 }, (_, i) => i).join(",") })).toThrow(/at most 100/);
  });
});

describe("parseListFilter: filter= AND the parameter filters", () => {
  it("combines both syntaxes", () => {
    const node = parseListFilter(new URLSearchParams("filter=age >= 18 || vip&status=active&limit=10&sort=-age"));
    expect(formatFilter(node)).toBe('((age >= 18 || vip == true) && status == "active")');
    expect(matches(node, { doc: { vip: true, status: "active" } })).toBe(true);
    expect(matches(node, { doc: { vip: true, status: "gone" } })).toBe(false);
  });

  it("is true when there is no filter at all", () => {
    expect(parseListFilter(new URLSearchParams("limit=100&offset=0"))).toEqual({ kind: "const", value: true });
  });

  it("names the filter parameter in an expression error", () => {
    const error = parseError(() => parseListFilter(new URLSearchParams("filter=age >>> 1")));
    expect(error.details).toEqual({ param: "filter", position: 5 });
  });

  it("counts terms over both syntaxes", () => {
    const expression = Array.from({ length: MAX_FILTER_TERMS }, (_, i) => `a = ${i}`).join(" || ");
    expect(() => parseListFilter({ filter: expression })).not.toThrow();
    expect(() => parseListFilter({ filter: expression, b: "1" })).toThrow(/more than 64 comparisons/);
  });
});
