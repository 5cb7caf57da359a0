-- Filetype detection for compose files (`yaml.docker-compose`) and Jenkinsfiles (`groovy`).
-- Starting the server is left to the user: `vim.lsp.enable("driftls")` (0.11+) or
-- `require("driftls").setup{}`.
if vim.g.loaded_driftls then
  return
end
vim.g.loaded_driftls = true
require("driftls").add_filetypes()
