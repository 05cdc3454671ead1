# Reference values for one-factor omega (src/analysis/psychometrics/omega.py with n_factors = 1, and
# scale_reliability's omega for 3-5 item scales; tests/test_reliability.py, tests/test_factor.py).
# Run from the project root:
#   R CMD BATCH --no-save --no-restore tests/reference/omega_one_factor.R tests/reference/omega_one_factor.Rout
# Input : tests/data/bfi.csv (psych::bfi), tests/data/scoring_sample.csv (SWLS 1-5),
#         ../shared/data/dysem_commitmentQ/data.csv (IMS commitment, items 3 and 4 reverse keyed)
# Writes: tests/reference/omega_one_factor.csv  case, quantity, value
#   omega_total        psych::omega(x, nfactors = 1, fm = "minres")$omega.tot  = (Vt - sum u2) / Vt,
#                      Vt the sum of the (flipped) item correlation matrix
#   omega_hierarchical $omega_h = (sum lambda)^2 / Vt (psych: "not meaningful with one factor")
#   omega_congeneric   the one-factor model's omega, (sum lambda)^2 / ((sum lambda)^2 + sum psi), from
#                      fa(x, 1, fm = "minres"), loadings flipped as omega flips them
#   alpha, g6          $alpha, $G6
#   loading:<item>     $schmid$sl[, "g"] (flipped);  u2:<item>  $schmid$sl[, "u2"]
# The commitment cases are the ones where one factor fits worst and the two omegas differ most.
suppressPackageStartupMessages(library(psych))
options(digits = 15)
cat("R", R.version$major, R.version$minor, "psych", as.character(packageVersion("psych")), "\n")
bfi <- read.csv(file.path("tests", "data", "bfi.csv"))
swls <- read.csv(file.path("tests", "data", "scoring_sample.csv"))[, paste0("swls_", 1:5)]
com <- read.csv(file.path("..", "shared", "data", "dysem_commitmentQ", "data.csv"), check.names = FALSE)
com1 <- com[, paste0("com.1_", 1:5)]
com2 <- com[, paste0("com.2_", 1:5)]
com1_keyed <- com1; com1_keyed[, 3:4] <- 10 - com1_keyed[, 3:4]
cases <- list(
  list(case = "bfi_A", x = bfi[, paste0("A", 1:5)]),        # A1 reversed by omega's flip
  list(case = "bfi_C_3", x = bfi[, paste0("C", 1:3)]),
  list(case = "bfi_N_4", x = bfi[, paste0("N", 1:4)]),
  list(case = "swls", x = swls),
  list(case = "commitment_1", x = com1),                    # items 3, 4 flipped by omega
  list(case = "commitment_1_keyed", x = com1_keyed),
  list(case = "commitment_2", x = com2)
)
out <- list()
for (k in cases) {
  o <- suppressWarnings(suppressMessages(omega(k$x, nfactors = 1, fm = "minres", plot = FALSE)))
  f <- fa(k$x, 1, fm = "minres", rotate = "none")
  lam <- as.vector(f$loadings) * o$key
  cong <- sum(lam)^2 / (sum(lam)^2 + sum(f$uniquenesses))
  sl <- o$schmid$sl
  q <- c(omega_total = o$omega.tot, omega_hierarchical = o$omega_h, omega_congeneric = cong,
         alpha = o$alpha, g6 = o$G6)
  q[paste0("loading:", colnames(k$x))] <- sl[, "g"]
  q[paste0("u2:", colnames(k$x))] <- sl[, "u2"]
  q[paste0("reversed:", colnames(k$x))] <- as.numeric(o$key < 0)
  out[[k$case]] <- data.frame(case = k$case, quantity = names(q), value = unname(q))
  cat(sprintf("%-20s omega_t %.6f  omega_h %.6f  congeneric %.6f  alpha %.6f\n", k$case,
              o$omega.tot, o$omega_h, cong, o$alpha))
}
write.csv(do.call(rbind, out), file.path("tests", "reference", "omega_one_factor.csv"), row.names = FALSE)
sessionInfo()
