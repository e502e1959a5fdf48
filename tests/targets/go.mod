module goretain.test/targets

go 1.19
