// BoundedSeries: the per-second chart series of a stage, kept to at most a fixed number
// of points however long the stage runs. Past the limit, adjacent points are merged
// pairwise (the bucket doubles: 1s, 2s, 4s, ...), so a 2-hour stage still fits in
// results.json and report.html while totals (requests, errors) are preserved exactly.
#pragma once

#include <cstddef>
#include <vector>

#include "report/run_report.hpp"

namespace orch {

// --- Interface ---

/// Most points a stage's series keeps (results.json `series`).
inline constexpr std::size_t k_series_point_limit = 600;

/// Merges `next` (covering `next_count` intervals) into `into` (covering `into_count`):
/// rps becomes the interval-weighted mean, errors the sum, quantiles (of all, succeeded and
/// failed responses alike), rss_mb and vus the maximum (the worst second; per-second
/// histograms are not kept), t_s the later end.
void merge_series_point(SeriesPoint& into, std::size_t into_count, const SeriesPoint& next,
                        std::size_t next_count);

class BoundedSeries {
  public:
    /// `limit` at least 2.
    explicit BoundedSeries(std::size_t limit = k_series_point_limit);

    /// Adds the point of one interval (one second).
    void add(const SeriesPoint& point);

    /// The series: full buckets, then the partial last one (at most `limit` points).
    std::vector<SeriesPoint> points() const;

    /// How many intervals one full point covers (1, 2, 4, ...).
    std::size_t bucket_intervals() const { return m_width; }

  private:
    std::size_t m_limit;
    std::size_t m_width = 1;
    std::vector<SeriesPoint> m_full;  ///< each covers m_width intervals
    SeriesPoint m_pending;            ///< covers m_pending_count < m_width intervals
    std::size_t m_pending_count = 0;
};

}  // namespace orch
