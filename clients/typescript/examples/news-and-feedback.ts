// Lists a category's latest articles and submits a citizen's feedback, type-checked against the
// API's document (`npm run check`): a wrong parameter, field or response property fails to compile.
import { createMuniClient, type Schemas } from "../src/index";

const muni = createMuniClient({ baseUrl: "http://127.0.0.1:8080" });

export async function latestNews(category: string): Promise<string[]> {
  const { data, error } = await muni.GET("/api/v1/articles", {
    params: { query: { category, per_page: 10, fields: "title,slug,summary,published_at" } },
  });
  if (error) {
    throw new Error(`${error.title}: ${error.detail ?? ""}`);
  }
  return data.data.map((article) => `${article.title} (/tin-tuc/${article.slug})`);
}

export async function submitFeedback(): Promise<Schemas["Receipt"]> {
  const { data, error, response } = await muni.POST("/api/v1/feedback", {
    params: { header: { "Idempotency-Key": crypto.randomUUID() } },
    body: {
      kind: "proposal",
      topic: "moi-truong",
      title: "Đề nghị đặt thêm thùng rác",
      content: "Đề nghị bố trí thêm thùng rác ở đầu ngõ 15.",
      submitter: { type: "person", name: "Nguyễn Văn Bình", phone: "0912345678" },
      consent: true,
      consent_notice_version: "2026-01",
    },
  });
  if (error) {
    // Validation errors list every field at fault, each with a stable code.
    const fields = (error.errors ?? []).map((e) => `${e.field}: ${e.code}`).join(", ");
    throw new Error(`${response.status} ${error.title}: ${fields}`);
  }
  // Keep both: the code and the secret are what the citizen tracks the submission with.
  return data;
}
