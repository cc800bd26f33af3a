// Chat: POST the question, read the server-sent events off the response body as they
// arrive (EventSource cannot POST or send the CSRF header), and render them.
(function () {
  "use strict";
  // Forms that ask first (the CSP allows no inline onsubmit handlers).
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.dataset.confirm)) e.preventDefault();
    });
  });
  var root = document.getElementById("chat");
  if (!root) return;
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var send = document.getElementById("chat-send");
  var log = document.getElementById("chat-log");
  var errorBox = document.getElementById("chat-error");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;

  function bubble(role, text) {
    var div = document.createElement("div");
    div.className = "chat-message " + role;
    var body = document.createElement("div");
    body.className = "chat-text";
    body.textContent = text || "";
    div.appendChild(body);
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function showCitations(div, citations) {
    if (!citations.length) return;
    var ul = document.createElement("ul");
    ul.className = "chat-citations";
    citations.forEach(function (c) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = c.url;
      a.textContent = "[" + c.n + "] " + c.title;
      li.appendChild(a);
      ul.appendChild(li);
    });
    div.appendChild(ul);
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  // One SSE frame ("event: x\ndata: {...}") -> [event, parsed data].
  function parseFrame(frame) {
    var event = "message", data = [];
    frame.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) event = line.slice(6).trim();
      else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
    });
    return [event, data.length ? JSON.parse(data.join("\n")) : null];
  }

  // A new conversation joins the sidebar at once, without a reload.
  function listConversation(id, title) {
    var list = document.querySelector(".chat-conversations");
    var href = "/chat/" + id;
    if (!list || list.querySelector('a[href="' + href + '"]')) return;
    var empty = list.querySelector("li.muted");
    if (empty) empty.remove();
    var li = document.createElement("li"), a = document.createElement("a");
    li.className = "active";
    a.href = href;
    a.textContent = title;  // textContent: a title is user text, never markup
    li.appendChild(a);
    list.insertBefore(li, list.firstChild);
  }

  function handle(event, data, div) {
    var text = div.querySelector(".chat-text");
    if (event === "meta") {
      root.dataset.conversationId = data.conversation_id;
      if (window.history && history.replaceState) history.replaceState(null, "", "/chat/" + data.conversation_id);
      listConversation(data.conversation_id, data.title);
    } else if (event === "note") {
      var note = document.createElement("p");
      note.className = "chat-note";
      note.textContent = data.message;
      div.insertBefore(note, text);
    } else if (event === "token") {
      text.textContent += data.text;
      log.scrollTop = log.scrollHeight;
    } else if (event === "html") {
      // The finished answer as the server rendered and sanitised it (app/chat/render.py):
      // block quotes instead of the "> " the tokens streamed as.
      text.innerHTML = data.html;
      text.classList.add("rendered");
    } else if (event === "citations") {
      showCitations(div, data);
    } else if (event === "error") {
      showError(data.message);
      div.classList.add("failed");
    } else if (event === "done") {
      div.classList.add("complete");
    }
    return event === "error" || event === "done";
  }

  async function readStream(response, div) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "", finished = false;
    while (true) {
      var chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, "\n");
      var frames = buffer.split("\n\n");
      buffer = frames.pop();
      frames.forEach(function (f) {
        if (f.trim()) {
          var parsed = parseFrame(f);
          finished = handle(parsed[0], parsed[1], div) || finished;
        }
      });
    }
    if (!finished) showError("The answer was cut off; please try again.");
  }

  async function ask(question) {
    errorBox.hidden = true;
    bubble("user", question);
    var div = bubble("assistant streaming", "");
    var body = { message: question };
    if (root.dataset.conversationId) body.conversation_id = Number(root.dataset.conversationId);
    try {
      var response = await fetch("/chat/stream", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf,
                   "Accept": "text/event-stream" },
        body: JSON.stringify(body)
      });
      if (!response.ok) {
        var err = await response.json().catch(function () { return {}; });
        showError(err.error || ("The server answered " + response.status + "."));
        div.classList.add("failed");
      } else {
        await readStream(response, div);
      }
    } catch (e) {
      showError("Connection lost: " + e.message);
      div.classList.add("failed");
    } finally {
      div.classList.remove("streaming");
      send.disabled = false;
      input.focus();
    }
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var question = input.value.trim();
    if (!question || send.disabled) return;
    send.disabled = true;
    input.value = "";
    ask(question);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
})();
