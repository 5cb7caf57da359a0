-- Neovim 0.11+: `vim.lsp.enable("driftls")` finds this file on the runtimepath.
-- Override anything with `vim.lsp.config("driftls", { ... })`, for example
--   vim.lsp.config("driftls", { settings = { driftls = { offline = true } } })
return require("driftls").config()
