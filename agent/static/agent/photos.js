// Photos are made smaller on the device (longest side <= 2048 px, JPEG) before they are
// stored in the outbox: less to keep offline, less to send on a weak network.
export const MAX_PX = 2048;

export async function downscale(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (err) {
    return file; // not decodable here: the server checks it and says why
  }
  const scale = Math.min(1, MAX_PX / Math.max(bitmap.width, bitmap.height));
  if (scale === 1 && file.type === "image/jpeg") { bitmap.close(); return file; }
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return new Promise((resolve) => canvas.toBlob((blob) => resolve(blob || file), "image/jpeg", 0.85));
}
