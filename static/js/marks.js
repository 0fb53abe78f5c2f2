// Map marks drawn from the one palette (core/palette.py, given by {% map_marks %} as JSON):
// MapLibre icons "mark-<kind>" (a shape as well as a colour: RGAA 3.2) and numbered HTML
// markers cloned from the same SVG pictures as the legends.

let cached = null;

export function marks() {
  if (!cached) {
    const node = document.getElementById("ronde-marks");
    cached = node ? JSON.parse(node.textContent) : null;
  }
  return cached;
}

const SIZE = 20; // the shapes' box (core/palette.py SHAPES)
const RATIO = 2; // drawn at twice the size: sharp on phones

// The icon of one mark, as core/palette.py shape_svg draws it: a white halo, the colour,
// an ink outline (or, for the ring and the cross, a thick stroke of the colour on a halo).
function drawMark(kind, scale = 1) {
  const M = marks();
  const mark = M.marks[kind];
  const px = Math.round(SIZE * RATIO * scale);
  const canvas = document.createElement("canvas");
  canvas.width = px;
  canvas.height = px;
  const ctx = canvas.getContext("2d");
  ctx.scale(RATIO * scale, RATIO * scale);
  const path = new Path2D(M.shapes[mark.shape]);
  ctx.lineJoin = "round";
  const stroked = M.stroked[mark.shape];
  if (stroked) {
    ctx.strokeStyle = M.halo; ctx.lineWidth = stroked + 2.5; ctx.stroke(path);
    ctx.strokeStyle = mark.colour; ctx.lineWidth = stroked; ctx.stroke(path);
  } else {
    ctx.fillStyle = M.halo; ctx.strokeStyle = M.halo; ctx.lineWidth = 3.5; ctx.fill(path); ctx.stroke(path);
    ctx.fillStyle = mark.colour; ctx.fill(path);
    ctx.strokeStyle = M.ink; ctx.lineWidth = 1.5; ctx.stroke(path);
  }
  return ctx.getImageData(0, 0, px, px);
}

// Icons on demand: a style's symbol layer asks for "mark-<kind>" and gets it drawn here.
// Through MapLibre's resolver, which it awaits before it answers the tile asking: since
// MapLibre 6 the "styleimagemissing" event fires after that answer, so an icon added from it
// showed only if the tile happened to be laid out again. On a slow machine it was not, and the
// dispatch board drew its jobs of one status only (tests/e2e/test_map_marks.py).
export function provideMarkIcons(map) {
  if (!marks()) return;
  map.setMissingStyleImageResolver((id) => {
    const kind = id.startsWith("mark-") ? id.slice(5) : null;
    if (kind && marks().marks[kind] && !map.hasImage(id)) map.addImage(id, drawMark(kind), { pixelRatio: RATIO });
  });
}

// A numbered marker element (a mission's stop): the legend's picture of its mark, with the number.
export function markElement(kind, text, tag = "div") {
  const el = document.createElement(tag);
  el.className = `mark mark-${kind}`;
  el.dataset.mark = kind;
  const pictures = document.getElementById("ronde-mark-svgs");
  const picture = pictures && pictures.content.querySelector(`svg[data-mark="${kind}"]`);
  if (picture) el.append(picture.cloneNode(true));
  const label = document.createElement("span");
  label.className = "mark-text";
  label.textContent = text;
  if (marks()) label.style.color = marks().marks[kind].text;
  el.append(label);
  return el;
}

// The mark of a status or a stop state.
export const statusMark = (status) => (marks() && marks().status[status]) || "todo";
export const stopMark = (state) => (marks() && marks().stop[state]) || "stop_planned";
export const colour = (kind) => marks().marks[kind].colour;
