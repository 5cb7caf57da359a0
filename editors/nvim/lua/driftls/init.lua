-- driftls for Neovim: the server configuration, file type detection, and `setup{}` for
-- Neovim 0.7 to 0.10 (0.11+ can use `vim.lsp.enable("driftls")` with lsp/driftls.lua instead).
--
--   require("driftls").setup({
--     cmd = { "driftls", "lsp" },                       -- or an absolute path
--     settings = { driftls = { rules = { ["image-unpinned"] = "off" } } },
--     on_attach = function(client, bufnr) end,
--   })
local M = {}

local uv = vim.uv or vim.loop

--- Filetypes driftls attaches to. Plain `yaml` buffers are only taken when their path is a
--- compose file or a CI pipeline (see `M.wants`), so other YAML files never start the server.
M.filetypes = { "dockerfile", "yaml.docker-compose", "sh", "bash", "make", "groovy", "jenkinsfile", "yaml" }

M.root_markers = { ".driftls.toml", ".git" }

--- languageId per filetype: the server decides by file name first, so these only matter for
--- files with unusual names. `yaml.docker-compose` is sent as VS Code's `dockercompose`.
M.language_ids = {
  ["yaml.docker-compose"] = "dockercompose",
  ["docker-compose"] = "dockercompose",
  sh = "shellscript",
  bash = "shellscript",
  make = "makefile",
  jenkinsfile = "groovy",
}

function M.get_language_id(_, filetype)
  return M.language_ids[filetype] or filetype
end

local function basename(path)
  return (path:gsub("[/\\]+$", ""):match("[^/\\]+$")) or path
end

--- Same names as the server's `is_compose_name`: compose.yaml, compose.yml,
--- docker-compose.y(a)ml and the compose.*.y(a)ml / docker-compose.*.y(a)ml overrides.
function M.is_compose_name(name)
  local lower = name:lower()
  local stem = lower:match("^(.*)%.ya?ml$")
  if not stem then
    return false
  end
  return stem == "compose"
    or stem == "docker-compose"
    or stem:sub(1, 8) == "compose."
    or stem:sub(1, 15) == "docker-compose."
end

function M.is_jenkinsfile_name(name)
  local lower = name:lower()
  return lower == "jenkinsfile" or lower:sub(1, 12) == "jenkinsfile." or lower:match("%.jenkinsfile$") ~= nil
end

--- CI pipelines the server reads by path (GitHub Actions, GitLab CI).
function M.is_ci_yaml(path)
  local p = path:gsub("\\", "/")
  local lower = basename(p):lower()
  local is_yaml = lower:match("%.ya?ml$") ~= nil
  return (is_yaml and p:find("/.github/workflows/", 1, true) ~= nil)
    or lower == ".gitlab-ci.yml"
    or lower == ".gitlab-ci.yaml"
    or (is_yaml and p:find("/.gitlab/ci/", 1, true) ~= nil)
end

--- Whether driftls should attach to a buffer of this filetype and path.
function M.wants(filetype, path)
  if filetype == "yaml" then
    return path ~= "" and (M.is_compose_name(basename(path)) or M.is_ci_yaml(path))
  end
  return vim.tbl_contains(M.filetypes, filetype)
end

local function exists(p)
  return uv.fs_stat(p) ~= nil
end

--- The nearest directory holding a root marker, else the file's own directory.
function M.find_root(path, markers)
  markers = markers or M.root_markers
  local dir = vim.fn.fnamemodify(path, ":p:h")
  local cur = dir
  while cur and cur ~= "" do
    for _, m in ipairs(markers) do
      if exists(cur .. "/" .. m) then
        return cur
      end
    end
    local parent = vim.fn.fnamemodify(cur, ":h")
    if parent == cur then
      break
    end
    cur = parent
  end
  return dir
end

--- Filetype detection for compose files and Jenkinsfiles.
function M.add_filetypes()
  if vim.g.driftls_did_filetypes then
    return
  end
  vim.g.driftls_did_filetypes = true
  if vim.fn.has("nvim-0.8") == 1 then
    local compose = function(path)
      if M.is_compose_name(basename(path)) then
        return "yaml.docker-compose"
      end
    end
    local jenkins = function(path)
      if M.is_jenkinsfile_name(basename(path)) then
        return "groovy"
      end
    end
    vim.filetype.add({
      filename = {
        ["compose.yaml"] = "yaml.docker-compose",
        ["compose.yml"] = "yaml.docker-compose",
        ["docker-compose.yaml"] = "yaml.docker-compose",
        ["docker-compose.yml"] = "yaml.docker-compose",
        ["Jenkinsfile"] = "groovy",
      },
      -- Patterns holding '/' match the full path on every version from 0.8 on.
      pattern = {
        [".*/[^/]*%.[yY][aA]?[mM][lL]"] = compose, -- returns nil (no match) for other YAML
        [".*/[jJ]enkinsfile%.[^/]*"] = jenkins,
        [".*/[^/]*%.[jJ]enkinsfile"] = jenkins,
      },
    })
  else
    -- Neovim 0.7 runs filetype.vim; these autocmds come after its `yaml` rule and override it.
    vim.cmd([[
      augroup driftls_filetypes
        autocmd!
        autocmd BufNewFile,BufRead compose.yaml,compose.yml,docker-compose.yaml,docker-compose.yml set filetype=yaml.docker-compose
        autocmd BufNewFile,BufRead compose.*.yaml,compose.*.yml,docker-compose.*.yaml,docker-compose.*.yml set filetype=yaml.docker-compose
        autocmd BufNewFile,BufRead Jenkinsfile,Jenkinsfile.*,*.jenkinsfile set filetype=groovy
      augroup END
    ]])
  end
end

--- The client configuration (a `vim.lsp.Config` on 0.11+, `vim.lsp.start` config before).
function M.config()
  return {
    cmd = { "driftls", "lsp" },
    filetypes = vim.deepcopy(M.filetypes),
    root_markers = vim.deepcopy(M.root_markers),
    get_language_id = M.get_language_id,
    -- Neovim 0.11+: only start for YAML that is a compose file or a CI pipeline.
    root_dir = function(bufnr, on_dir)
      local path = vim.api.nvim_buf_get_name(bufnr)
      if M.wants(vim.bo[bufnr].filetype, path) then
        on_dir(M.find_root(path, M.root_markers))
      end
    end,
    -- The `driftls` section: rules, offline, registry (see editors/README.md).
    settings = {},
    -- Show the server's `driftls/status` notification in nothing but the log.
    handlers = {
      ["driftls/status"] = function() end,
    },
  }
end

local function merge(base, opts)
  local out = vim.tbl_deep_extend("force", base, opts or {})
  -- Lists replace, never merge by index.
  for _, k in ipairs({ "cmd", "filetypes", "root_markers" }) do
    if opts and opts[k] then
      out[k] = opts[k]
    end
  end
  return out
end

local started = {} -- root_dir -> client id (Neovim 0.7)

local function attach(bufnr, opts)
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == "" or not M.wants(vim.bo[bufnr].filetype, path) then
    return
  end
  if opts.filetypes and not vim.tbl_contains(opts.filetypes, vim.bo[bufnr].filetype) then
    return
  end
  local root = M.find_root(path, opts.root_markers)
  local config = vim.tbl_extend("force", {}, opts, {
    name = "driftls",
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
  })
  config.filetypes, config.root_markers = nil, nil
  if vim.lsp.start then -- 0.8+: reuses a client with the same name and root_dir
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = started[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client(config)
    started[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

--- Starts driftls for matching buffers. On Neovim 0.11+ this calls `vim.lsp.config` and
--- `vim.lsp.enable`; before that it attaches on FileType (one client per project root).
function M.setup(opts)
  opts = opts or {}
  M.add_filetypes()
  if vim.fn.has("nvim-0.11") == 1 and vim.lsp.config and vim.lsp.enable then
    vim.lsp.config("driftls", opts)
    vim.lsp.enable("driftls")
    return
  end
  local config = merge(M.config(), opts)
  config.root_dir = nil -- the 0.11 callback form; older versions get a path per buffer
  if config.capabilities == nil then
    config.capabilities = vim.lsp.protocol.make_client_capabilities()
  end
  -- Neovim 0.7 neither answers workspace/configuration (it does not offer it) nor sends
  -- didChangeConfiguration by itself: hand the settings over at initialize and after it.
  local settings = config.settings or {}
  if config.init_options == nil and type(settings.driftls) == "table" then
    config.init_options = settings.driftls
  end
  local user_on_init = config.on_init
  config.on_init = function(client, result)
    if next(settings) ~= nil then
      client.notify("workspace/didChangeConfiguration", { settings = settings })
    end
    if user_on_init then
      return user_on_init(client, result)
    end
  end
  local group = vim.api.nvim_create_augroup("driftls", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = config.filetypes,
    callback = function(args)
      attach(args.buf, config)
    end,
  })
  -- Buffers already open when setup() runs.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].filetype ~= "" then
      attach(bufnr, config)
    end
  end
end

return M
