// The naas API documentation page: renders /openapi.json (operations grouped by tag,
// parameters, request and response schemas, examples) and sends requests from a "Try it"
// form with Basic or Bearer credentials. Self-contained: no library, nothing loaded from
// elsewhere; every text from the document is inserted as text, never as HTML.
"use strict";

(function () {
  let spec = null;
  // Credentials live in this page only (never stored).
  const auth = { scheme: "none", user: "", password: "", token: "" };

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "class") el.className = value;
      else el.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  // A little Markdown: paragraphs, `code` and **bold**.
  function prose(text) {
    if (!text) return null;
    return h("div", { class: "prose" }, text.split(/\n\s*\n/).map((para) => {
      const p = h("p");
      for (const part of para.split(/(`[^`]+`|\*\*[^*]+\*\*)/)) {
        if (part.startsWith("`") && part.endsWith("`") && part.length > 1) p.append(h("code", {}, part.slice(1, -1)));
        else if (part.startsWith("**") && part.endsWith("**") && part.length > 3) p.append(h("strong", {}, part.slice(2, -2)));
        else p.append(part.replace(/\n/g, " "));
      }
      return p;
    }));
  }

  function resolve(node) {
    let seen = 0;
    while (node && node.$ref && seen++ < 20) {
      const path = node.$ref.replace(/^#\//, "").split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
      node = path.reduce((n, key) => (n ? n[key] : undefined), spec);
    }
    return node || {};
  }

  function refName(ref) {
    return ref.split("/").pop();
  }

  function anchor(kind, name) {
    return kind + "-" + String(name).replace(/[^A-Za-z0-9_-]/g, "_");
  }

  function typeOf(schema) {
    if (schema.$ref) return h("a", { href: "#" + anchor("schema", refName(schema.$ref)) }, refName(schema.$ref));
    for (const key of ["oneOf", "anyOf", "allOf"]) {
      if (schema[key]) {
        const parts = schema[key].map(typeOf);
        const out = h("span");
        parts.forEach((part, i) => { if (i) out.append(key === "allOf" ? " & " : " | "); out.append(part); });
        return out;
      }
    }
    let type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type || "any";
    if (schema.type === "array" || (Array.isArray(schema.type) && schema.type.includes("array"))) {
      return h("span", {}, "array of ", schema.items ? typeOf(schema.items) : "any",
        Array.isArray(schema.type) && schema.type.includes("null") ? " | null" : "");
    }
    if (schema.format) type += " (" + schema.format + ")";
    return type;
  }

  function constraints(schema) {
    const out = [];
    const add = (label, value) => { if (value !== undefined) out.push(label + " " + JSON.stringify(value)); };
    add("enum", schema.enum);
    add("default", schema.default);
    add("min", schema.minimum);
    add("max", schema.maximum);
    add("min length", schema.minLength);
    add("max length", schema.maxLength);
    add("min items", schema.minItems);
    add("max items", schema.maxItems);
    add("pattern", schema.pattern);
    return out.length ? h("div", { class: "constraints" }, out.join(" · ")) : null;
  }

  function schemaView(schema, depth) {
    schema = schema || {};
    const target = schema.$ref ? resolve(schema) : schema;
    const box = h("div", { class: "schema" }, h("div", { class: "type" }, typeOf(schema)));
    if (schema.$ref && depth > 1) return box;
    if (target.description && !schema.$ref) box.append(prose(target.description));
    box.append(constraints(target));
    if (target.properties) {
      const required = new Set(target.required || []);
      const rows = Object.entries(target.properties).map(([name, prop]) => {
        const shown = resolve(prop);
        return h("tr", {},
          h("td", {}, h("code", {}, name), required.has(name) ? h("span", { class: "req" }, " required") : ""),
          h("td", {}, typeOf(prop), constraints(prop.$ref ? {} : prop)),
          h("td", {}, prose(prop.description || (prop.$ref ? "" : shown.description))));
      });
      box.append(h("table", { class: "props" }, h("tbody", {}, rows)));
    }
    if (target.additionalProperties && typeof target.additionalProperties === "object") {
      box.append(h("div", {}, "other keys: ", typeOf(target.additionalProperties)));
    }
    for (const key of ["oneOf", "anyOf"]) {
      if (target[key] && !schema[key]) box.append(h("div", {}, key + ": ", typeOf({ [key]: target[key] })));
    }
    if (Array.isArray(target.examples)) {
      target.examples.forEach((example) => box.append(h("pre", { class: "example" }, JSON.stringify(example, null, 2))));
    }
    return box;
  }

  function mediaExamples(media) {
    const out = [];
    if (media.example !== undefined) out.push(["example", media.example]);
    for (const [name, example] of Object.entries(media.examples || {})) {
      const value = resolve(example).value;
      if (value !== undefined) out.push([name, value]);
    }
    if (!out.length) {
      const schema = resolve(media.schema || {});
      if (Array.isArray(schema.examples) && schema.examples.length) out.push(["example", schema.examples[0]]);
    }
    return out;
  }

  function exampleBlock(name, value) {
    return h("details", { class: "ex" }, h("summary", {}, "Example: " + name),
      h("pre", {}, typeof value === "string" ? value : JSON.stringify(value, null, 2)));
  }

  function responsesView(responses) {
    return h("div", { class: "responses" }, Object.entries(responses).map(([status, ref]) => {
      const response = resolve(ref);
      const block = h("div", { class: "response s" + status[0] },
        h("h5", {}, h("span", { class: "status" }, status), " ", response.description || ""));
      const headers = Object.entries(response.headers || {});
      if (headers.length) {
        block.append(h("table", { class: "headers" }, h("tbody", {}, headers.map(([name, header]) => {
          const shown = resolve(header);
          return h("tr", {}, h("td", {}, h("code", {}, name), shown.required ? h("span", { class: "req" }, " always") : ""),
            h("td", {}, prose(shown.description)));
        }))));
      }
      for (const [type, media] of Object.entries(response.content || {})) {
        block.append(h("div", { class: "media" }, h("code", {}, type)), schemaView(media.schema, 1));
        mediaExamples(media).forEach(([name, value]) => block.append(exampleBlock(name, value)));
      }
      return block;
    }));
  }

  function send(method, path, op, form, out) {
    out.replaceChildren(h("p", {}, "Sending…"));
    let url = path;
    const query = new URLSearchParams();
    const headers = {};
    for (const param of (op.parameters || []).map(resolve)) {
      const value = form.querySelector("[data-param='" + param.in + ":" + param.name + "']").value;
      if (value === "") continue;
      if (param.in === "path") url = url.replace("{" + param.name + "}", encodeURIComponent(value));
      else if (param.in === "query") query.append(param.name, value);
      else if (param.in === "header") headers[param.name] = value;
    }
    if ([...query].length) url += "?" + query.toString();
    if (auth.scheme === "basic") headers.Authorization = "Basic " + btoa(unescape(encodeURIComponent(auth.user + ":" + auth.password)));
    if (auth.scheme === "bearer") headers.Authorization = "Bearer " + auth.token;
    const init = { method: method.toUpperCase(), headers, credentials: "omit", cache: "no-store" };
    const body = form.querySelector("textarea");
    if (body && body.value.trim() !== "") {
      headers["Content-Type"] = "application/json";
      init.body = body.value;
    }
    const started = performance.now();
    fetch(url, init).then(async (response) => {
      const text = await response.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
      const lines = [];
      response.headers.forEach((value, name) => lines.push(name + ": " + value));
      out.replaceChildren(
        h("p", {}, h("span", { class: "status s" + String(response.status)[0] }, String(response.status)),
          " " + method.toUpperCase() + " " + url + " (" + Math.round(performance.now() - started) + " ms)"),
        h("pre", { class: "resp-headers" }, lines.join("\n")),
        h("pre", {}, shown));
    }).catch((error) => out.replaceChildren(h("p", { class: "error" }, "Request failed: " + error)));
  }

  function tryIt(method, path, op) {
    const out = h("div", { class: "output" });
    const form = h("form", { class: "try" });
    for (const param of (op.parameters || []).map(resolve)) {
      const schema = resolve(param.schema || {});
      const field = schema.enum
        ? h("select", { "data-param": param.in + ":" + param.name }, h("option", { value: "" }, ""),
          schema.enum.filter((v) => v !== null).map((v) => h("option", { value: v }, v)))
        : h("input", { "data-param": param.in + ":" + param.name, placeholder: schema.type || "", required: param.required });
      form.append(h("label", {}, h("span", {}, param.name + " (" + param.in + ")"), field));
    }
    if (op.requestBody) {
      const media = resolve(op.requestBody).content["application/json"] || {};
      const first = mediaExamples(media)[0];
      form.append(h("label", { class: "body" }, h("span", {}, "body (application/json)"),
        h("textarea", { rows: 8, spellcheck: "false" }, first ? JSON.stringify(first[1], null, 2) : "{}")));
    }
    form.append(h("button", { type: "submit" }, "Send"));
    form.addEventListener("submit", (event) => { event.preventDefault(); send(method, path, op, form, out); });
    return h("details", { class: "tryit" }, h("summary", {}, "Try it"), form, out);
  }

  function operationView(method, path, op) {
    const section = h("section", { class: "op", id: anchor("op", op.operationId || method + path) },
      h("h3", {}, h("span", { class: "method " + method }, method.toUpperCase()), " ", h("code", {}, path)),
      h("p", { class: "summary" }, op.summary || ""),
      op.security ? h("p", { class: "auth" }, "Auth: " + op.security.map((s) => Object.keys(s).join("+")).join(" or "))
        : h("p", { class: "auth" }, "No credentials needed."),
      prose(op.description));
    const params = (op.parameters || []).map(resolve);
    if (params.length) {
      section.append(h("h4", {}, "Parameters"), h("table", { class: "params" }, h("tbody", {}, params.map((p) =>
        h("tr", {}, h("td", {}, h("code", {}, p.name), p.required ? h("span", { class: "req" }, " required") : ""),
          h("td", {}, p.in), h("td", {}, typeOf(p.schema || {}), constraints(resolve(p.schema || {}))),
          h("td", {}, prose(p.description)))))));
    }
    if (op.requestBody) {
      const body = resolve(op.requestBody);
      section.append(h("h4", {}, "Request body"));
      for (const [type, media] of Object.entries(body.content || {})) {
        section.append(h("div", { class: "media" }, h("code", {}, type)), schemaView(media.schema, 1));
        mediaExamples(media).forEach(([name, value]) => section.append(exampleBlock(name, value)));
      }
    }
    section.append(h("h4", {}, "Responses"), responsesView(op.responses || {}), tryIt(method, path, op));
    return section;
  }

  function authPanel() {
    const scheme = h("select", {}, ["none", "basic", "bearer"].map((s) => h("option", { value: s }, s)));
    const user = h("input", { placeholder: "username", autocomplete: "off" });
    const password = h("input", { placeholder: "password", type: "password", autocomplete: "off" });
    const token = h("input", { placeholder: "token", type: "password", autocomplete: "off" });
    const update = () => {
      Object.assign(auth, { scheme: scheme.value, user: user.value, password: password.value, token: token.value });
      user.hidden = password.hidden = auth.scheme !== "basic";
      token.hidden = auth.scheme !== "bearer";
    };
    [scheme, user, password, token].forEach((el) => el.addEventListener("input", update));
    update();
    return h("div", { class: "authpanel" }, h("strong", {}, "Credentials for Try it: "), scheme, user, password, token);
  }

  function render() {
    document.getElementById("version").textContent = spec.info.version + " · OpenAPI " + spec.openapi;
    const main = document.getElementById("main");
    const nav = document.getElementById("nav");
    main.replaceChildren(h("h2", {}, spec.info.title), prose(spec.info.description), authPanel());
    const tags = (spec.tags || []).map((t) => t.name);
    const byTag = new Map(tags.map((t) => [t, []]));
    for (const [path, item] of Object.entries(spec.paths || {})) {
      for (const [method, op] of Object.entries(item)) {
        const tag = (op.tags && op.tags[0]) || "other";
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push([method, path, op]);
      }
    }
    for (const [tag, ops] of byTag) {
      const info = (spec.tags || []).find((t) => t.name === tag) || {};
      nav.append(h("h4", {}, tag), h("ul", {}, ops.map(([method, path, op]) =>
        h("li", {}, h("a", { href: "#" + anchor("op", op.operationId || method + path) },
          h("span", { class: "method " + method }, method.toUpperCase()), " " + path)))));
      main.append(h("h2", { id: anchor("tag", tag) }, tag), prose(info.description),
        ops.map(([method, path, op]) => operationView(method, path, op)));
    }
    const schemas = Object.entries((spec.components || {}).schemas || {});
    nav.append(h("h4", {}, "schemas"), h("ul", {}, schemas.map(([name]) =>
      h("li", {}, h("a", { href: "#" + anchor("schema", name) }, name)))));
    main.append(h("h2", {}, "Schemas"), schemas.map(([name, schema]) =>
      h("section", { class: "schema-def", id: anchor("schema", name) }, h("h3", {}, name),
        prose(schema.description), schemaView(Object.assign({}, schema, { description: undefined }), 0))));
    if (location.hash) {
      const target = document.getElementById(location.hash.slice(1));
      if (target) target.scrollIntoView();
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    fetch("/openapi.json", { credentials: "omit" })
      .then((response) => {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then((doc) => { spec = doc; render(); })
      .catch((error) => {
        document.getElementById("status").textContent = "Cannot load /openapi.json: " + error;
      });
  });
})();
