(async () => {
  // Wait for web fonts and two frames of layout before measuring.
  if (document.fonts && document.fonts.ready) { await document.fonts.ready; }
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const squash = s => (s || "").replace(/\s+/g, " ").trim();
  const clip = (s, n) => (s.length > n ? s.slice(0, n - 1) + "\u2026" : s);
  const defects = [];
  const tables = Array.from(document.querySelectorAll("table"));
  const label = (table, i) => {
    if (table.caption && squash(table.caption.innerText)) { return squash(table.caption.innerText); }
    // no caption: name the table by the nearest heading above it
    let heading = "";
    const all = Array.from(document.querySelectorAll("h1,h2,h3,h4,h5,h6"));
    for (const h of all) {
      if (h.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING) { heading = squash(h.innerText); }
    }
    return "table " + (i + 1) + " (no caption" + (heading ? ", under \u201c" + heading + "\u201d" : "") + ")";
  };
  // A line break inside a word: the word's client rects sit on more than one line.
  const lines = rects => {
    const tops = [];
    for (const r of rects) {
      if (r.width <= 0 || r.height <= 0) { continue; }
      if (!tops.some(t => Math.abs(t.top - r.top) < Math.max(2, 0.5 * Math.min(t.height, r.height)))) {
        tops.push({ top: r.top, height: r.height });
      }
    }
    return tops.length;
  };
  // Words: whitespace-separated tokens, cut after a hyphen, dash or slash (a break there is a
  // line break between word parts, not inside one); a word has 2+ letters. Hex digests (16+ hex
  // digits) are not words; a cell (or an ancestor) marked data-wrap="anywhere" opts out.
  const WORD = /[^\s\-\u2010\u2013\u2014\/]+[\-\u2010\u2013\u2014\/]*/g;
  const LETTERS = /\p{L}.*\p{L}/su;
  const DIGEST = /^[0-9a-f]{16,}$/i;
  tables.forEach((table, i) => {
    const name = label(table, i);
    const cells = Array.from(table.querySelectorAll("td, th")).filter(c => c.closest("table") === table);
    for (const cell of cells) {
      if (cell.closest("[data-wrap='anywhere']")) { continue; }
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      const seen = new Set();
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement.closest("table") !== table) { continue; }  // nested table: its own turn
        const text = node.data;
        for (const m of text.matchAll(WORD)) {
          const word = m[0].replace(/[\-\u2010\u2013\u2014\/]+$/, "");
          const bare = word.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
          if (!LETTERS.test(bare) || DIGEST.test(bare)) { continue; }
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + word.length);
          const n = lines(range.getClientRects());
          if (n > 1 && !seen.has(word)) {
            seen.add(word);
            // where the word breaks: the part on each line
            const parts = [];
            let start = 0, lastTop = null;
            for (let k = 0; k < word.length; k++) {
              const r = document.createRange();
              r.setStart(node, m.index + k);
              r.setEnd(node, m.index + k + 1);
              const rect = Array.from(r.getClientRects()).find(x => x.height > 0);
              if (!rect) { continue; }
              if (lastTop !== null && Math.abs(rect.top - lastTop) >= Math.max(2, 0.5 * rect.height)) {
                parts.push(word.slice(start, k));
                start = k;
              }
              lastTop = rect.top;
            }
            parts.push(word.slice(start));
            defects.push({ kind: "word broken across lines", table: name, cell: clip(squash(cell.innerText), 120),
                           tag: cell.tagName.toLowerCase(), word: word, shown: parts.join(" \u23CE ") });
          }
        }
      }
    }
    // (b) a table of only headers: a head and no body rows, or no data cell at all
    const own = el => el.closest("table") === table;
    const bodyRows = Array.from(table.tBodies).reduce((n, b) => n + b.rows.length, 0);
    const dataCells = Array.from(table.querySelectorAll("td")).filter(own).length;
    const headerCells = Array.from(table.querySelectorAll("th")).filter(own);
    if ((table.tHead && bodyRows === 0) || (headerCells.length > 0 && dataCells === 0)) {
      defects.push({ kind: "table of only headers", table: name,
                     cell: clip(headerCells.map(c => squash(c.innerText)).join(" | "), 160) });
    }
  });
  // (c) figures without a description
  const PLACEHOLDER = "No description has been provided for this image";
  const near = el => {
    let heading = "";
    for (const h of document.querySelectorAll("h1,h2,h3,h4,h5,h6")) {
      if (h.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) { heading = squash(h.innerText); }
    }
    return heading;
  };
  Array.from(document.querySelectorAll("img")).forEach((img, i) => {
    const alt = img.getAttribute("alt");
    if (alt === null || !alt.trim() || alt.trim() === PLACEHOLDER) {
      defects.push({ kind: "figure without alt text", figure: "img " + (i + 1), under: near(img),
                     alt: alt === null ? null : alt, src: clip(img.getAttribute("src") || "", 60) });
    }
  });
  Array.from(document.querySelectorAll("svg")).forEach((svg, i) => {
    if (svg.parentElement && svg.parentElement.closest("svg")) { return; }
    const box = svg.getBoundingClientRect();
    if (box.width < 64 || box.height < 64) { return; }  // icons, not figures
    if (svg.getAttribute("aria-hidden") === "true") { return; }
    const title = svg.querySelector(":scope > title");
    const label = squash(svg.getAttribute("aria-label")) || (title && squash(title.textContent)) ||
      squash((svg.getAttribute("aria-labelledby") || "").split(/\s+/).map(id => {
        const el = id && document.getElementById(id); return el ? el.textContent : ""; }).join(" "));
    if (!label || label === PLACEHOLDER) {
      defects.push({ kind: "figure without alt text", figure: "svg " + (i + 1), under: near(svg), alt: null, src: "" });
    }
  });
  // (d) the page wider than the window (a sideways scroll for the whole page): name what sticks out,
  // unless it sits in a box that scrolls or clips on its own
  const pageWidth = document.documentElement.scrollWidth;
  if (pageWidth > window.innerWidth + 1) {
    const contained = el => {
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        if (["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(a).overflowX)) { return true; }
      }
      return false;
    };
    const sticksOut = sel => Array.from(document.querySelectorAll(sel))
      .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 && !contained(el));
    // tables and figures by their outermost box; else the innermost text block
    let out = sticksOut("table, pre, img, svg, figure").filter((el, _, all) => !all.some(o => o !== el && o.contains(el)));
    if (!out.length) { out = sticksOut("p, div, code, span").filter((el, _, all) => !all.some(o => o !== el && el.contains(o))); }
    const names = out.slice(0, 5).map(el => el.tagName !== "TABLE"
      ? el.tagName.toLowerCase() + " \u201c" + clip(squash(el.innerText || ""), 60) + "\u201d"
      : el.caption ? "table \u201c" + label(el, tables.indexOf(el)) + "\u201d" : label(el, tables.indexOf(el)));
    defects.push({ kind: "page wider than the window", page_width: pageWidth, window_width: window.innerWidth,
                   elements: names });
  }
  return JSON.stringify({ width: window.innerWidth, defects: defects, title: document.title,
                          text: document.body ? document.body.innerText : "" });
})()
