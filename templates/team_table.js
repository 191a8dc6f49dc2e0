// Sorting and filtering for a large team's people table (#people), written
// into the overview: no file to fetch, so it works from the file system. The
// table reads as it is without it; with it, each column heading is a button
// that sorts by that column (again: the other way round) and a search box
// above the table keeps the rows that contain what is typed.
(() => {
  "use strict";
  const table = document.getElementById("people");
  if (!table || !table.tHead || !table.tBodies.length) return;
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const texts = rows.map((row) => Array.from(row.cells, (cell) => cell.textContent).join("\n").toLowerCase());
  const headers = Array.from(table.tHead.rows[0].cells);
  let sorted = "";

  const tools = document.createElement("div");
  tools.className = "table-tools";
  const label = document.createElement("label");
  label.htmlFor = "people-filter";
  label.textContent = "Filter people";
  const input = document.createElement("input");
  input.type = "search";
  input.id = "people-filter";
  input.setAttribute("aria-controls", "people");
  const status = document.createElement("span");
  status.setAttribute("role", "status");
  tools.append(label, input, status);
  const region = table.parentElement;
  region.parentElement.insertBefore(tools, region);

  let shown = rows.length;
  const report = () => {
    status.textContent = `${shown} of ${rows.length} shown${sorted}`;
  };

  input.addEventListener("input", () => {
    const wanted = input.value.trim().toLowerCase();
    shown = 0;
    rows.forEach((row, index) => {
      const match = texts[index].includes(wanted);
      row.hidden = !match;
      shown += match;
    });
    report();
  });

  // A number where the column holds numbers ("week 12" is 12); a cell
  // without one ("none") goes last.
  const key = (row, column, numeric) => {
    const text = row.cells[column].textContent.trim();
    if (!numeric) return text.toLowerCase();
    const number = parseFloat(text.replace(/^[^0-9.-]+/, ""));
    return Number.isNaN(number) ? Infinity : number;
  };

  const sort = (column, direction) => {
    const numeric = headers[column].classList.contains("num");
    const sign = direction === "ascending" ? 1 : -1;
    const keyed = rows.map((row, index) => [key(row, column, numeric), index, row]);
    // Equal keys keep the team file's order.
    keyed.sort((a, b) => (a[0] < b[0] ? -sign : a[0] > b[0] ? sign : a[1] - b[1]));
    const fragment = document.createDocumentFragment();
    keyed.forEach((entry) => fragment.appendChild(entry[2]));
    body.appendChild(fragment);
    headers.forEach((header) => header.removeAttribute("aria-sort"));
    headers[column].setAttribute("aria-sort", direction);
    sorted = `, sorted by ${headers[column].textContent}, ${direction}`;
    report();
  };

  headers.forEach((header, column) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = header.textContent;
    header.replaceChildren(button);
    button.addEventListener("click", () => {
      sort(column, header.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending");
    });
  });
  report();
})();
