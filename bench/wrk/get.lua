-- GET the URL given to wrk, with the bench key when BENCH_TOKEN is set (the filtered list,
-- the signed recording link, which needs none, and nginx's counterparts).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
auth_header()
