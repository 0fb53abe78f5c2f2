// MapLibre's control labels in the page's language, written by {% maplibre_locale %}
// (tiles/templatetags/maps.py). Pass the result as the Map's `locale` option.
export function mapLocale() {
  const block = document.getElementById("maplibre-locale");
  if (!block) return {};
  try {
    return JSON.parse(block.textContent);
  } catch {
    return {};
  }
}
