-- Drives Neovim 0.7's built-in LSP client against `python -m nanscope.server` (see test_neovim.py).
-- Inputs (environment): NANSCOPE_TEST_PYTHON, NANSCOPE_TEST_ROOT, NANSCOPE_TEST_OUT; the model is the
-- current buffer. Output: a JSON file at NANSCOPE_TEST_OUT with what happened at each step.
local python = os.getenv('NANSCOPE_TEST_PYTHON')
local root = os.getenv('NANSCOPE_TEST_ROOT')
local out = os.getenv('NANSCOPE_TEST_OUT')
local timeout = 180000
local result = { steps = {} }

local function save_result()
  local handle = assert(io.open(out, 'w'))
  handle:write(vim.fn.json_encode(result))
  handle:close()
end

local function finish()
  save_result()
  vim.cmd('qall!')
end

local ok, err = pcall(function()
  local buf = vim.api.nvim_get_current_buf()
  -- 0.7 has no vim.lsp.start: start the client, then attach the buffer.
  local client_id = vim.lsp.start_client({
    name = 'nanscope',
    cmd = { python, '-m', 'nanscope.server' },
    root_dir = root,
    init_options = { logLevel = 'info' },
  })
  vim.lsp.buf_attach_client(buf, client_id)
  table.insert(result.steps, 'attached')

  local got = vim.wait(timeout, function() return #vim.diagnostic.get(buf) > 0 end, 100)
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(result.diagnostics, {
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col, severity = d.severity,
      message = d.message, source = d.source, code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code),
    })
  end
  if not got then
    result.error = 'no diagnostics within the timeout'
    return
  end
  table.insert(result.steps, 'diagnostics')

  local client = vim.lsp.get_client_by_id(client_id)
  if not client.resolved_capabilities.code_action then
    result.code_actions = 'none'
    return
  end

  -- Apply the first (the preferred) quick fix of the diagnostic: stub the menu to pick the first item.
  local first = vim.diagnostic.get(buf)[1]
  vim.api.nvim_win_set_cursor(0, { first.lnum + 1, first.col })
  local offered = nil
  vim.ui.select = function(items, _, on_choice)
    offered = {}
    for _, item in ipairs(items) do table.insert(offered, item[2].title) end
    on_choice(items[1], 1)
  end
  local before = vim.api.nvim_buf_get_changedtick(buf)
  vim.lsp.buf.code_action()
  local applied = vim.wait(60000, function() return vim.api.nvim_buf_get_changedtick(buf) ~= before end, 50)
  result.offered = offered
  if not applied then
    result.code_actions = offered and 'not applied' or 'none offered'
    return
  end
  result.code_actions = 'applied'
  table.insert(result.steps, 'fixed')

  vim.cmd('write')
  local cleared = vim.wait(timeout, function() return #vim.diagnostic.get(buf) == 0 end, 100)
  result.cleared = cleared
  if cleared then table.insert(result.steps, 'cleared') end
end)

if not ok then result.error = tostring(err) end
finish()
