-- Headless Neovim check of the driftls plugin against the seed-000 project on a real registry.
-- Run by tests/editors/nvim/run.sh:
--   nvim --headless -u tests/editors/nvim/init.lua -i NONE -n -c 'luafile tests/editors/nvim/check.lua'
-- Env: PROJECT (the fixture project), BASE_DIGEST, RESULT_FILE, WAIT_MS (default 30000).
-- Exit 0 when every check passed, 1 otherwise. Works on Neovim 0.7 and 0.11.
local uv = vim.uv or vim.loop
local t0 = uv.hrtime()
local function ms()
  return math.floor((uv.hrtime() - t0) / 1e6)
end

local project = assert(os.getenv("PROJECT"), "PROJECT is not set")
local base_digest = os.getenv("BASE_DIGEST") or ""
local result_file = os.getenv("RESULT_FILE") or "nvim-result.json"
local wait_ms = tonumber(os.getenv("WAIT_MS") or "30000")
local v = vim.version()
local report = {
  nvim = string.format("%d.%d.%d", v.major, v.minor, v.patch),
  mode = os.getenv("DRIFTLS_NVIM_MODE") or "enable",
  runtimepath = vim.o.runtimepath,
  checks = {},
  timings_ms = {},
}
local failed = false
local function check(name, ok, detail)
  report.checks[#report.checks + 1] = { name = name, ok = ok and true or false, detail = detail }
  if not ok then
    failed = true
  end
  io.stdout:write(string.format("  [%s] %s%s\n", ok and "PASS" or "FAIL", name, detail and (" -- " .. tostring(detail)) or ""))
end

local get_clients = vim.lsp.get_clients or vim.lsp.get_active_clients
local function buf_clients(buf)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = buf, name = "driftls" })
  end
  local out = {}
  for _, c in pairs(vim.lsp.buf_get_clients(buf)) do
    if c.name == "driftls" then
      out[#out + 1] = c
    end
  end
  return out
end

local function codes(buf)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    if code then
      out[#out + 1] = tostring(code)
    end
  end
  table.sort(out)
  return out
end

local function has_code(buf, code)
  return vim.tbl_contains(codes(buf), code)
end

local function open(name)
  vim.cmd("edit " .. vim.fn.fnameescape(project .. "/" .. name))
  return vim.api.nvim_get_current_buf()
end

local function finish()
  report.ok = not failed
  report.timings_ms.total = ms()
  local f = io.open(result_file, "w")
  if f then
    f:write(vim.fn.json_encode(report))
    f:close()
  end
  for _, c in pairs(get_clients()) do
    if vim.fn.has("nvim-0.11") == 1 then
      c:stop()
    else
      c.stop()
    end
  end
  vim.wait(3000, function()
    return #get_clients() == 0
  end, 20)
  vim.cmd(failed and "cquit 1" or "qall!")
end

-- The text of the floating windows open now (hover).
local function float_text()
  local parts = {}
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    local cfg = vim.api.nvim_win_get_config(win)
    if cfg.relative and cfg.relative ~= "" then
      local buf = vim.api.nvim_win_get_buf(win)
      parts[#parts + 1] = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
    end
  end
  return table.concat(parts, "\n")
end

local function close_floats()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    local cfg = vim.api.nvim_win_get_config(win)
    if cfg.relative and cfg.relative ~= "" then
      pcall(vim.api.nvim_win_close, win, true)
    end
  end
end

local function main()
  -- 1. Dockerfile: attach, diagnostics (including the registry-backed volume-inherited).
  local df = open("Dockerfile")
  check("Dockerfile filetype", vim.bo[df].filetype == "dockerfile", vim.bo[df].filetype)
  local attached = vim.wait(wait_ms, function()
    return #buf_clients(df) > 0
  end, 20)
  check("driftls attached to the Dockerfile", attached)
  report.timings_ms.attached = ms()
  local client = buf_clients(df)[1]
  if not client then
    return
  end
  local got = vim.wait(wait_ms, function()
    return has_code(df, "volume-inherited") and has_code(df, "volume-write-after-declare")
  end, 20)
  report.timings_ms.dockerfile_diagnostics = ms()
  report.dockerfile_codes = codes(df)
  check("Dockerfile diagnostics: volume-inherited, volume-write-after-declare", got, table.concat(codes(df), ","))
  check("settings reached the server (package-unpinned off)", got and not has_code(df, "package-unpinned"))

  -- 2. Hover on the FROM image through vim.lsp.buf.hover (a floating window).
  vim.api.nvim_win_set_cursor(0, { 2, 10 })
  vim.lsp.buf.hover()
  local hover_ok = vim.wait(wait_ms, function()
    return float_text():find('VOLUME ["/usr/app"]', 1, true) ~= nil
  end, 20)
  report.hover = float_text()
  report.timings_ms.hover = ms()
  check('vim.lsp.buf.hover shows VOLUME ["/usr/app"]', hover_ok, (report.hover:gsub("\n", " "):sub(1, 90)))
  close_floats()

  -- 3. Code action through vim.lsp.buf.code_action: the user picks "Pin to sha256:…".
  local picked
  vim.ui.select = function(items, select_opts, on_choice)
    for i, item in ipairs(items) do
      local action = item.action or item[2] or item -- 0.10+: {action, ctx}; 0.7: {client_id, action}
      if type(action) == "table" and type(action.title) == "string" and action.title:find("^Pin to sha256") then
        picked = action.title
        return on_choice(item, i)
      end
    end
    report.offered_actions = vim.tbl_map(function(item)
      local a = item.action or item[2] or item
      return type(a) == "table" and a.title or tostring(a)
    end, items)
    on_choice(nil, nil)
  end
  local before = vim.api.nvim_buf_get_lines(df, 1, 2, false)[1]
  vim.api.nvim_win_set_cursor(0, { 2, 10 })
  vim.lsp.buf.code_action()
  local expected = before:gsub("(dbt%-core:1%.4%.1)", "%1@" .. base_digest:gsub("%%", "%%%%"), 1)
  local applied = vim.wait(wait_ms, function()
    return vim.api.nvim_buf_get_lines(df, 1, 2, false)[1] ~= before
  end, 20)
  local after = vim.api.nvim_buf_get_lines(df, 1, 2, false)[1]
  report.timings_ms.code_action = ms()
  report.code_action = { picked = picked, before = before, after = after }
  check("code action picked", picked ~= nil, picked or vim.inspect(report.offered_actions))
  check("code action changed the buffer to the pinned image", applied and after == expected, after)

  -- 4. Compose file: filetype detection, the languageId sent, diagnostics.
  local cf = open("docker-compose.yml")
  local ft = vim.bo[cf].filetype
  check("docker-compose.yml filetype", ft == "yaml.docker-compose", ft)
  local cattached = vim.wait(wait_ms, function()
    return #buf_clients(cf) > 0
  end, 20)
  local cc = buf_clients(cf)[1]
  local get_id = cc and cc.config.get_language_id
  local lang_id = get_id and get_id(cf, ft) or ft
  check("driftls attached to the compose file", cattached, "languageId " .. tostring(lang_id))
  local cgot = vim.wait(wait_ms, function()
    return has_code(cf, "compose-anonymous-volume")
  end, 20)
  report.compose_codes = codes(cf)
  report.timings_ms.compose_diagnostics = ms()
  check("compose diagnostics: compose-anonymous-volume", cgot, table.concat(codes(cf), ","))

  -- 5. Jenkinsfile.
  local jf = open("Jenkinsfile")
  check("Jenkinsfile filetype", vim.bo[jf].filetype == "groovy", vim.bo[jf].filetype)
  local jgot = vim.wait(wait_ms, function()
    return has_code(jf, "deploy-up-keeps-anonymous-volumes")
  end, 20)
  report.jenkinsfile_codes = codes(jf)
  check("Jenkinsfile diagnostics: deploy-up-keeps-anonymous-volumes", jgot, table.concat(codes(jf), ","))
  check("one client for the project", #get_clients() == 1, #get_clients())

  -- 6. Other YAML never gets the server.
  local other = project .. "/notes.yml"
  vim.fn.writefile({ "image: postgres" }, other)
  local of = open("notes.yml")
  vim.wait(500, function()
    return #buf_clients(of) > 0
  end, 20)
  check("plain YAML (notes.yml) not attached", vim.bo[of].filetype == "yaml" and #buf_clients(of) == 0,
    vim.bo[of].filetype .. ", " .. #buf_clients(of) .. " client(s)")
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  check("no Lua error", false, err)
end
finish()
