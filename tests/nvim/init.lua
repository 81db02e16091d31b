-- Minimal Neovim configuration for the headless nanscope test: no plugins, no swap files, nothing else.
vim.o.swapfile = false
vim.o.shadafile = 'NONE'
vim.o.more = false
