// 网页对话: sends messages and 画图/视频 requests, shows answers as they stream in and jobs as
// they change. Everything users or the bot wrote is added as text (textContent), never as markup.
(function () {
  "use strict";
  var root = document.getElementById("webchat");
  if (!root) { return; }
  var csrf = root.getAttribute("data-csrf");
  var list = document.getElementById("messages");
  var form = document.getElementById("composer");
  var text = document.getElementById("text");
  var picture = document.getElementById("picture");
  var attached = document.getElementById("attached");
  var busy = 0;

  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (content !== undefined) { node.textContent = content; }
    return node;
  }

  function scrollDown() { window.scrollTo(0, document.body.scrollHeight); }

  function add(item) {
    var empty = document.getElementById("no-messages");
    if (empty) { empty.remove(); }
    list.appendChild(item);
    scrollDown();
    return item;
  }

  function message(role, words, pictureUrl) {
    var item = el("li", "msg msg-" + role);
    var bubble = el("div", "bubble");
    if (pictureUrl) {
      var img = el("img", "attached");
      img.src = pictureUrl;
      img.alt = "";
      bubble.appendChild(img);
    }
    var body = el("div", "text", words);
    bubble.appendChild(body);
    item.appendChild(bubble);
    add(item);
    return body;
  }

  // A job card, the same markup as templates/webchat_job.html.
  function showJob(job) {
    var item = list.querySelector('[data-job="' + String(Number(job.id)) + '"]');
    if (!item) {
      item = el("li", "msg msg-job");
      item.setAttribute("data-job", String(Number(job.id)));
      var bubble = el("div", "bubble");
      bubble.appendChild(el("div", "status"));
      bubble.appendChild(el("div", "results"));
      item.appendChild(bubble);
      add(item);
    }
    // Views can arrive out of order (the launch answer after the first change): keep the newest.
    if (Number(item.getAttribute("data-updated") || 0) > job.updated) { return; }
    item.setAttribute("data-updated", String(job.updated));
    item.setAttribute("data-state", job.state);
    item.querySelector(".status").textContent = job.status;
    var retry = item.querySelector("button.retry");
    if (job.retry && !retry) {
      retry = el("button", "retry", root.getAttribute("data-retry"));
      retry.type = "button";
      retry.setAttribute("data-retry", String(Number(job.id)));
      item.querySelector(".bubble").appendChild(retry);
    } else if (!job.retry && retry) {
      retry.remove();
    }
    var results = item.querySelector(".results");
    if (job.files.length && !results.children.length) {
      job.files.forEach(function (file) {
        if (!file.present) {
          results.appendChild(el("span", "muted", root.getAttribute("data-removed")));
        } else if (file.video) {
          var video = el("video");
          video.controls = true;
          video.preload = "metadata";
          video.src = file.url;
          results.appendChild(video);
        } else {
          var link = el("a");
          link.href = file.url;
          link.target = "_blank";
          link.rel = "noopener";
          var img = el("img");
          img.src = file.url;
          img.alt = job.prompt;
          link.appendChild(img);
          results.appendChild(link);
        }
      });
      scrollDown();
    }
  }

  function chosenPicture() {
    return picture.files && picture.files.length ? picture.files[0] : null;
  }

  function clearPicture() {
    picture.value = "";
    attached.hidden = true;
  }

  // The attached picture as a data: URL (the page's policy allows no blob: images).
  function preview(file, done) {
    if (!file) { done(null); return; }
    var reader = new FileReader();
    reader.onload = function () { done(String(reader.result)); };
    reader.onerror = function () { done(null); };
    reader.readAsDataURL(file);
  }

  picture.addEventListener("change", function () {
    var file = chosenPicture();
    if (!file) { clearPicture(); return; }
    document.getElementById("attached-name").textContent = file.name;
    preview(file, function (url) {
      var img = document.getElementById("attached-preview");
      if (url) { img.src = url; }
      attached.hidden = false;
    });
  });
  document.getElementById("remove-picture").addEventListener("click", clearPicture);

  function post(url, data) {
    return fetch(url, {method: "POST", body: data, credentials: "same-origin",
                       headers: {"X-CSRF-Token": csrf}});
  }

  // Server-sent events read from a POST's streamed body: "event:" and "data:" lines, a blank
  // line ends each event (lines end in \r\n or \n).
  function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var name = "message";
    var data = [];
    function line(raw) {
      if (raw === "") {
        if (data.length) { onEvent(name, JSON.parse(data.join("\n"))); }
        name = "message";
        data = [];
      } else if (raw.charAt(0) === ":") {
        return;
      } else if (raw.indexOf("event:") === 0) {
        name = raw.slice(6).trim();
      } else if (raw.indexOf("data:") === 0) {
        data.push(raw.slice(5).replace(/^ /, ""));
      }
    }
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) { return; }
        buffer += decoder.decode(chunk.value, {stream: true});
        var match;
        while ((match = /\r\n|\n|\r(?!$)/.exec(buffer)) !== null) {
          line(buffer.slice(0, match.index));
          buffer = buffer.slice(match.index + match[0].length);
        }
        return pump();
      });
    }
    return pump();
  }

  function sendTurn(words, file, pictureUrl) {
    message("user", words, pictureUrl);
    var answer = message("bot", root.getAttribute("data-thinking"));
    answer.parentNode.parentNode.classList.add("pending");
    var started = false;
    var data = new FormData();
    data.append("text", words);
    if (file) { data.append("picture", file); }
    busy += 1;
    return post("/chat/turn", data).then(function (response) {
      return readEvents(response, function (name, payload) {
        var item = answer.parentNode.parentNode;
        if (name === "piece") {
          if (!started) { answer.textContent = ""; started = true; }
          answer.textContent += payload.text;
          scrollDown();
        } else if (name === "queued") {
          answer.textContent = payload.text;
        } else if (name === "notice") {
          answer.textContent = payload.text;
          item.className = "msg msg-notice";
        } else if (name === "done") {
          item.classList.remove("pending");
          item.setAttribute("data-done", "1");
        }
      });
    }).catch(function () {
      answer.textContent = root.getAttribute("data-offline");
    }).then(function () { busy -= 1; });
  }

  function options(kind) {
    var data = new FormData();
    var set = document.getElementById(kind === "image" ? "image-options" : "video-options");
    set.querySelectorAll("select").forEach(function (select) {
      if (select.value) { data.append(select.name, select.value); }
    });
    return data;
  }

  function startJob(kind, words, file, pictureUrl) {
    var data = options(kind);
    data.append("kind", kind);
    data.append("prompt", words);
    if (file) { data.append("picture", file); }
    var label = document.getElementById(kind === "image" ? "draw" : "video").textContent;
    message("user", label + "：" + words, pictureUrl);
    return post("/chat/job", data).then(function (response) {
      return response.json();
    }).then(function (answer) {
      if (answer.job) { showJob(answer.job); } else { message("notice", answer.notice); }
    }).catch(function () {
      message("notice", root.getAttribute("data-offline"));
    });
  }

  function submit(kind) {
    var words = text.value.trim();
    var file = chosenPicture();
    preview(file, function (url) {
      text.value = "";
      clearPicture();
      if (kind === "chat") { sendTurn(words, file, url); } else { startJob(kind, words, file, url); }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit("chat");
  });
  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit("chat");
    }
  });
  document.getElementById("draw").addEventListener("click", function () { submit("image"); });
  document.getElementById("video").addEventListener("click", function () { submit("video"); });
  document.getElementById("new").addEventListener("click", function () {
    post("/chat/new", new FormData()).then(function (r) { return r.json(); })
      .then(function (answer) { message("notice", answer.notice); });
  });

  // 重新生成 on a failed job: submitted once more only on this click (the server marks it).
  list.addEventListener("click", function (event) {
    var button = event.target.closest("button.retry");
    if (!button) { return; }
    button.disabled = true;
    post("/chat/job/" + button.getAttribute("data-retry") + "/retry", new FormData())
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (answer.job) { button.remove(); showJob(answer.job); } else {
          button.disabled = false;
          message("notice", answer.notice);
        }
      });
  });

  // Jobs change while the page is open: each change replaces the job's status, then its result.
  if (window.EventSource) {
    var source = new EventSource("/chat/events");
    // (Re)connected: jobs that changed while the stream was down are read once.
    source.onopen = function () {
      list.querySelectorAll(".msg-job").forEach(function (item) {
        var state = item.getAttribute("data-state");
        if (state === "done" || state === "failed" || state === "interrupted") { return; }
        fetch("/chat/job/" + item.getAttribute("data-job"), {credentials: "same-origin"})
          .then(function (r) { return r.json(); })
          .then(function (answer) { if (answer.job) { showJob(answer.job); } });
      });
      root.setAttribute("data-following", "1");
    };
    source.onmessage = function (event) {
      var update = JSON.parse(event.data);
      if (update.job) { showJob(update.job); }
      if (update.notice) { message("notice", update.notice); }
    };
  }
  scrollDown();
})();
