-- Minimal init for the headless Neovim test: the driftls plugin is the only plugin on the
-- runtimepath (the test runner points every XDG directory at an empty temporary directory).
--
-- Env: DRIFTLS_NVIM_PLUGIN (editors/nvim), DRIFTLS_BIN (the server), DRIFTLS_NVIM_MODE:
--   "enable" -> Neovim 0.11+ `vim.lsp.config` + `vim.lsp.enable` with lsp/driftls.lua
--   "setup"  -> `require("driftls").setup{}` (the way for Neovim 0.7 to 0.10)
local plugin = assert(os.getenv("DRIFTLS_NVIM_PLUGIN"), "DRIFTLS_NVIM_PLUGIN is not set")
vim.opt.runtimepath:prepend(plugin)
vim.o.hidden = true
vim.o.swapfile = false
vim.o.shadafile = "NONE"

-- What a user writes in init.lua, with the server binary by absolute path and one rule
-- turned off (the test checks the setting reached the server).
local opts = {
  cmd = { assert(os.getenv("DRIFTLS_BIN"), "DRIFTLS_BIN is not set"), "lsp", "--stdio" },
  settings = { driftls = { rules = { ["package-unpinned"] = "off" } } },
}
if os.getenv("DRIFTLS_NVIM_LOG") then vim.lsp.set_log_level("debug") end
local mode = os.getenv("DRIFTLS_NVIM_MODE") or "enable"
if mode == "enable" then
  vim.lsp.config("driftls", opts)
  vim.lsp.enable("driftls")
else
  require("driftls").setup(opts)
end
