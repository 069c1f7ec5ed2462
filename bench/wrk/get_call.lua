-- GET /api/v1/calls/{id}: each request a server id drawn at random from BENCH_IDS (one per
-- line, written by bench_fill, spread evenly over the store), so reads land all over the table.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
auth_header()

local ids = {}
function init(args)
  seed_thread()
  for line in io.lines(os.getenv("BENCH_IDS")) do
    ids[#ids + 1] = line
  end
  assert(#ids > 0, "no ids in BENCH_IDS")
end

function request()
  return wrk.format("GET", "/api/v1/calls/" .. ids[math.random(#ids)])
end
