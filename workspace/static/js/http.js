// HTTP from the page: JSON with the CSRF token, uploads with progress. Errors become {error} objects.

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

export async function api(method, path, body, headers = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), Accept: "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, error: { code: "offline", message: "You seem to be offline. Try again in a moment." } };
  }
  let data = {};
  try { data = await response.json(); } catch { /* empty body */ }
  if (!response.ok) return { ok: false, status: response.status, error: data.error || { code: "http", message: `Error ${response.status}` } };
  return { ok: true, ...data };
}

// Upload one file as multipart/form-data; onProgress(fraction) as it goes.
export function upload(path, file, onProgress, filename) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("X-CSRFToken", csrf());
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      const data = xhr.response || {};
      if (xhr.status >= 200 && xhr.status < 300) resolve({ ok: true, ...data });
      else resolve({ ok: false, status: xhr.status, error: data.error || { message: xhr.status === 413 ? "That file is too large." : `Upload failed (${xhr.status}).` } });
    };
    xhr.onerror = () => resolve({ ok: false, error: { message: "Upload failed: you seem to be offline." } });
    const form = new FormData();
    form.append("file", file, filename || file.name);
    xhr.send(form);
  });
}
