//! Vietnamese: status titles, the sentence for each field code and kind of problem, and the
//! catalog of every message the code writes. Long because it is a table: one line per message.

use super::{captures, fill};

/// RFC 9110's reason phrases, in Vietnamese.
pub fn status_title(status: u16) -> &'static str {
    match status {
        400 => "Yêu cầu không hợp lệ",
        401 => "Chưa xác thực",
        403 => "Không có quyền",
        404 => "Không tìm thấy",
        405 => "Phương thức không được phép",
        406 => "Không có định dạng phù hợp",
        408 => "Hết thời gian chờ yêu cầu",
        409 => "Xung đột",
        410 => "Không còn tồn tại",
        412 => "Điều kiện không thỏa mãn",
        413 => "Nội dung quá lớn",
        415 => "Kiểu nội dung không được hỗ trợ",
        422 => "Nội dung không hợp lệ",
        428 => "Cần điều kiện kèm theo",
        429 => "Quá nhiều yêu cầu",
        500 => "Lỗi máy chủ",
        502 => "Lỗi cổng kết nối",
        503 => "Dịch vụ tạm thời không sẵn sàng",
        504 => "Hết thời gian chờ cổng kết nối",
        s if s >= 500 => "Lỗi máy chủ",
        _ => "Lỗi yêu cầu",
    }
}

/// The sentence for a field code, for a message the catalog does not know.
pub fn message_for_code(code: &str) -> &'static str {
    match code {
        "required" => "là bắt buộc",
        "too_long" => "quá dài",
        "too_short" => "quá ngắn",
        "invalid_format" => "không đúng định dạng",
        "invalid_type" => "sai kiểu dữ liệu",
        "invalid_characters" => "chứa ký tự không được phép",
        "not_unique" => "đã được sử dụng",
        "not_found" => "không tồn tại",
        "unknown_field" => "không phải là một trường của tài nguyên này",
        "unknown_parameter" => "không phải là tham số của điểm cuối này",
        _ => "có giá trị không hợp lệ",
    }
}

/// The sentence for a kind of problem (the last part of its `type`), for a detail the catalog
/// does not know.
pub fn detail_for(kind: &str, fields: usize) -> String {
    match kind {
        "validation" => format!("Yêu cầu có {fields} trường không hợp lệ."),
        "bad-request" if fields > 0 => format!("Yêu cầu có {fields} tham số không hợp lệ."),
        "bad-request" => "Yêu cầu không hợp lệ.".to_owned(),
        "unauthorized" => "Cần đăng nhập hoặc mã truy cập hợp lệ.".to_owned(),
        "forbidden" => "Tài khoản không có quyền thực hiện việc này.".to_owned(),
        "not-found" => "Không tìm thấy tài nguyên được yêu cầu.".to_owned(),
        "method-not-allowed" => "Địa chỉ này không nhận phương thức này.".to_owned(),
        "conflict" => "Yêu cầu xung đột với trạng thái hiện tại của tài nguyên.".to_owned(),
        "precondition-failed" => "Tài nguyên đã thay đổi từ lần đọc trước; hãy đọc lại rồi thử lại.".to_owned(),
        "payload-too-large" => "Nội dung gửi lên vượt quá giới hạn cho phép.".to_owned(),
        "request-timeout" => "Nội dung yêu cầu không đến kịp thời hạn.".to_owned(),
        "unsupported-media-type" => "Kiểu nội dung gửi lên không được hỗ trợ.".to_owned(),
        "rate-limited" => "Quá nhiều yêu cầu; vui lòng chờ rồi thử lại.".to_owned(),
        "unavailable" => "Dịch vụ tạm thời không sẵn sàng; vui lòng thử lại sau ít phút.".to_owned(),
        "internal" => "Đã xảy ra lỗi ngoài dự kiến; lỗi đã được ghi lại.".to_owned(),
        _ => "Không thể xử lý yêu cầu.".to_owned(),
    }
}

/// The Vietnamese of a message the catalog knows.
pub fn translate(english: &str) -> Option<String> {
    if let Some(values) = captures("{} not found", english) {
        return Some(format!("Không tìm thấy {}.", noun(values[0])?));
    }
    if let Some(values) = captures("The request has {} invalid field{}.", english) {
        return Some(format!("Yêu cầu có {} trường không hợp lệ.", values[0]));
    }
    CATALOG.iter().find_map(|(en, vi)| {
        let values = captures(en, english)?;
        Some(fill(vi, &values.into_iter().map(value).collect::<Vec<_>>()))
    })
}

/// A value carried into a Vietnamese sentence: the names of things translated, others as they are.
fn value(text: &str) -> String {
    noun(text).map_or_else(|| text.to_owned(), str::to_owned)
}

fn noun(english: &str) -> Option<&'static str> {
    Some(match english {
        "article" => "bài viết",
        "category" => "chuyên mục",
        "delivery" => "lần gửi",
        "event" => "sự kiện",
        "feedback" => "phản ánh, kiến nghị",
        "file" => "tệp",
        "media item" => "tệp trong thư viện",
        "procedure" => "thủ tục",
        "question" => "câu hỏi",
        "service request" => "yêu cầu",
        "service" => "dịch vụ",
        "site" => "đơn vị",
        "sitemap part" => "phần sơ đồ trang",
        "tag" => "thẻ",
        "topic" => "chủ đề",
        "revision" => "phiên bản",
        "user" => "người dùng",
        "webhook endpoint" => "điểm nhận webhook",
        "submission" => "phản ánh",
        "Image" | "image" => "Ảnh",
        "Document" | "document" => "Tài liệu",
        _ => return None,
    })
}

/// English pattern, Vietnamese template: `{}` stands for a value, in order; `{0}`, `{1}` ... take
/// the values by position where Vietnamese orders them otherwise.
const CATALOG: &[(&str, &str)] = &[
    // Fields: presence and length.
    ("is required", "là bắt buộc"),
    ("is required for a replaced procedure", "là bắt buộc với thủ tục đã được thay thế"),
    ("is required for an all-day event", "là bắt buộc với sự kiện cả ngày"),
    ("is required for this slug", "là bắt buộc với đường dẫn này"),
    ("is required unless the event is all-day", "là bắt buộc trừ khi sự kiện diễn ra cả ngày"),
    ("is required when the deployment has several sites", "là bắt buộc khi hệ thống phục vụ nhiều đơn vị"),
    ("is required when the deployment serves several sites", "là bắt buộc khi hệ thống phục vụ nhiều đơn vị"),
    ("is empty", "đang để trống"),
    ("is too long", "quá dài"),
    ("must not be empty", "không được để trống"),
    ("must not be empty or only whitespace", "không được để trống hoặc chỉ có khoảng trắng"),
    ("must contain a letter or digit", "phải có ít nhất một chữ cái hoặc chữ số"),
    ("must be at least {} characters", "phải có ít nhất {} ký tự"),
    ("must be at most {} characters", "tối đa {} ký tự"),
    ("must be at most {} bytes", "tối đa {} byte"),
    ("must be 1 to {} characters", "phải có từ 1 đến {} ký tự"),
    ("must have at most {} tags", "tối đa {} thẻ"),
    ("must be 1 or more", "phải từ 1 trở lên"),
    ("must be between 1 and {}", "phải từ 1 đến {}"),
    ("must be left empty", "phải để trống"),
    ("must not contain control characters", "không được chứa ký tự điều khiển"),
    ("must be UTF-8 text", "phải là văn bản UTF-8"),
    ("`{}` appears twice", "`{}` xuất hiện hai lần"),
    // Fields: formats.
    ("must be an email address", "phải là địa chỉ email"),
    ("must be a Vietnamese phone number", "phải là số điện thoại Việt Nam"),
    ("needs a phone number or an email address", "cần có số điện thoại hoặc địa chỉ email"),
    (
        "must be true: personal data is processed only with consent",
        "phải là true: dữ liệu cá nhân chỉ được xử lý khi có sự đồng ý",
    ),
    (
        "must be the version of the current privacy notice ({}): show it and ask again",
        "phải là phiên bản của thông báo bảo vệ dữ liệu cá nhân hiện hành ({}): hãy hiển thị thông báo và hỏi lại",
    ),
    (
        "must be RFC 3339 (2026-11-30T08:00:00+07:00) or local (2026-11-30T08:00)",
        "phải theo RFC 3339 (2026-11-30T08:00:00+07:00) hoặc giờ địa phương (2026-11-30T08:00)",
    ),
    (
        "must be an RFC 3339 time (2026-11-29T08:00:00+07:00) or a date (2026-11-29)",
        "phải là thời điểm theo RFC 3339 (2026-11-29T08:00:00+07:00) hoặc một ngày (2026-11-29)",
    ),
    ("is not a valid date", "không phải là ngày hợp lệ"),
    ("must hold at least one word", "phải có ít nhất một từ"),
    ("`{}` is not article, procedure, question or event", "`{}` không phải là article, procedure, question hay event"),
    ("must be `relevance` or `-date`", "phải là `relevance` hoặc `-date`"),
    ("does not exist in the time zone", "không tồn tại trong múi giờ này"),
    ("must be an IANA time zone", "phải là múi giờ IANA"),
    ("must be an IANA time zone such as Asia/Ho_Chi_Minh", "phải là múi giờ IANA, ví dụ Asia/Ho_Chi_Minh"),
    ("must be an ISO week such as 2026-W49", "phải là tuần theo ISO, ví dụ 2026-W49"),
    ("must not be before `from`", "không được trước `from`"),
    ("must not be before starts_at", "không được trước starts_at"),
    ("must not be before starts_on", "không được trước starts_on"),
    ("must be letters, digits, dots and hyphens", "chỉ gồm chữ cái, chữ số, dấu chấm và dấu gạch ngang"),
    ("must be lowercase letters and digits joined by hyphens", "chỉ gồm chữ thường và chữ số nối bằng dấu gạch ngang"),
    ("must be lowercase letters, digits and inner hyphens", "chỉ gồm chữ thường, chữ số và dấu gạch ngang ở giữa"),
    (
        "must be a national procedure code such as 1.001108 or 1.012753.H19",
        "phải là mã thủ tục quốc gia, ví dụ 1.001108 hoặc 1.012753.H19",
    ),
    ("must be a procedure code such as 1.001193", "phải là mã thủ tục, ví dụ 1.001193"),
    ("must be an http(s) URL or a path starting with /", "phải là URL http(s) hoặc đường dẫn bắt đầu bằng /"),
    (
        "must be an http(s) address such as https://phuong.example.vn, without query or fragment",
        "phải là địa chỉ http(s), ví dụ https://phuong.example.vn, không có truy vấn hay phân đoạn",
    ),
    (
        "must be a path (/tin-tuc/{}) or an http(s) URL, with only {}, {} or {} as placeholders",
        "phải là đường dẫn (/tin-tuc/{}) hoặc URL http(s), chỉ dùng {}, {} hoặc {} làm chỗ thay thế",
    ),
    ("is not a URL: {}", "không phải là URL: {}"),
    ("must hold {}", "phải chứa {}"),
    // Fields: values from a set.
    ("must be draft, published, scheduled or archived", "phải là draft, published, scheduled hoặc archived"),
    ("must be draft, scheduled, changed or cancelled", "phải là draft, scheduled, changed hoặc cancelled"),
    ("must be in_force, expired, replaced or all", "phải là in_force, expired, replaced hoặc all"),
    ("must be in_person, online or post", "phải là in_person, online hoặc post"),
    ("must be open or closed", "phải là open hoặc closed"),
    ("must be pending, answered, published or rejected", "phải là pending, answered, published hoặc rejected"),
    ("must be starts_at or -starts_at", "phải là starts_at hoặc -starts_at"),
    (
        "must be -published_at, published_at, -view_count or featured",
        "phải là -published_at, published_at, -view_count hoặc featured",
    ),
    ("a new article is draft or published", "bài viết mới phải ở trạng thái draft hoặc published"),
    ("a new event is scheduled or draft", "sự kiện mới phải ở trạng thái scheduled hoặc draft"),
    ("cannot be set to {}; use the cancel action", "không thể đặt thành {}; hãy dùng thao tác hủy"),
    ("cannot change: import the new code instead", "không thể thay đổi: hãy nhập mã mới"),
    ("must be a user id or none", "phải là mã người dùng hoặc none"),
    ("must be an active moderator or admin", "phải là người kiểm duyệt hoặc quản trị đang hoạt động"),
    ("must be of the same kind (image or document)", "phải cùng loại (ảnh hoặc tài liệu)"),
    ("must be an image", "phải là ảnh"),
    ("holds at most {} images", "tối đa {} ảnh"),
    ("names an item twice", "có mục bị lặp lại"),
    ("must be a document", "phải là tài liệu"),
    (
        "is needed while published content shows the image ({} {})",
        "là bắt buộc khi nội dung đã đăng đang dùng ảnh ({} {})",
    ),
    ("must be an item of the event's site", "phải là tệp của đơn vị có sự kiện"),
    ("must be an item of the procedure's site", "phải là tệp của đơn vị có thủ tục"),
    ("holds at most {} files", "tối đa {} tệp"),
    ("give either cover_url or cover_media_id", "chỉ dùng một trong cover_url hoặc cover_media_id"),
    ("name the body it is forwarded to", "hãy ghi rõ cơ quan được chuyển đến"),
    (
        "the public reply (or the reason of a rejection) is required",
        "cần có câu trả lời công khai (hoặc lý do từ chối)",
    ),
    ("does not match the current password", "không khớp với mật khẩu hiện tại"),
    // Fields: references.
    ("no such category", "không có chuyên mục này"),
    ("no article has this id", "không có bài viết nào có mã này"),
    ("no category has this id", "không có chuyên mục nào có mã này"),
    ("no revision of this resource has this id", "không có phiên bản nào của mục này có mã này"),
    ("This revision has no record to restore.", "Phiên bản này không có hồ sơ để khôi phục."),
    ("This revision cannot be restored as it is ({}).", "Không thể khôi phục nguyên trạng phiên bản này ({})."),
    ("no field has this code", "không có lĩnh vực nào có mã này"),
    ("no media item has this id", "không có tệp nào trong thư viện có mã này"),
    ("no open topic has this code", "không có chủ đề đang mở nào có mã này"),
    ("no site has the code `{}`", "không có đơn vị nào có mã `{}`"),
    ("no site has this code", "không có đơn vị nào có mã này"),
    ("no site has this id", "không có đơn vị nào có mã số này"),
    ("must be a category of the article's site", "phải là chuyên mục của đơn vị có bài viết"),
    ("must be a category of the same site", "phải là chuyên mục của cùng đơn vị"),
    ("must be another category of the same site", "phải là một chuyên mục khác của cùng đơn vị"),
    ("must be an item of the article's site", "phải là tệp của đơn vị có bài viết"),
    (
        "cannot be the category itself or one of its descendants",
        "không thể là chính chuyên mục này hoặc chuyên mục con của nó",
    ),
    ("names media item {}, which does not exist", "chỉ đến tệp {} không tồn tại trong thư viện"),
    (
        "names media item {}, which is not an image of the article's site",
        "chỉ đến tệp {} không phải là ảnh của đơn vị có bài viết",
    ),
    (
        "has no alt text: describe it (PATCH /api/v1/media/{}) before a published article uses it",
        "chưa có văn bản thay thế (alt): hãy mô tả ảnh (PATCH /api/v1/media/{}) trước khi dùng trong bài đã đăng",
    ),
    ("has {} endpoints already: delete one first", "đã có {} điểm nhận: hãy xóa bớt một điểm trước"),
    ("{} is already taken", "{} đã được sử dụng"),
    (
        "webhook.ping is sent on request (POST .../ping), not subscribed to",
        "webhook.ping được gửi theo yêu cầu (POST .../ping), không thể đăng ký nhận",
    ),
    // Fields: parameters and bodies.
    ("is not a field of this resource", "không phải là một trường của tài nguyên này"),
    ("is not a parameter of this endpoint", "không phải là tham số của điểm cuối này"),
    ("is not a part of an upload", "không phải là một phần của tệp tải lên"),
    ("is not a cursor of the change feed", "không phải là con trỏ của luồng thay đổi"),
    ("is not a cursor of the changes feed", "không phải là con trỏ của luồng thay đổi"),
    (
        "is not a cursor of this list; start again without it",
        "không phải là con trỏ của danh sách này; hãy bắt đầu lại không dùng nó",
    ),
    (
        "keyset paging needs the default order or one date sort key, and no `q`",
        "phân trang theo con trỏ cần thứ tự mặc định hoặc một khóa sắp xếp theo ngày, và không có `q`",
    ),
    ("send one file per upload", "mỗi lần tải lên chỉ gửi một tệp"),
    ("the upload has no `file` part", "tệp tải lên thiếu phần `file`"),
    ("`{}` is not a field of articles", "`{}` không phải là trường của bài viết"),
    (
        "`{}` is not a sort key; use published_at, title, created_at or updated_at, with - for descending",
        "`{}` không phải là khóa sắp xếp; dùng published_at, title, created_at hoặc updated_at, thêm - để sắp giảm dần",
    ),
    ("`{}` is not a field of {}", "`{}` không phải là trường của {}"),
    (
        "is {} x {} pixels; images may have at most {} megapixels and {} pixels a side",
        "có kích thước {} x {} điểm ảnh; ảnh chỉ được tối đa {} megapixel và {} điểm ảnh mỗi cạnh",
    ),
    ("is not a readable image: {}", "không phải là ảnh đọc được: {}"),
    // Details: requests.
    ("The paging parameters are invalid.", "Tham số phân trang không hợp lệ."),
    ("The query string is invalid: {}: {}.", "Chuỗi truy vấn không hợp lệ: {}."),
    ("The query parameter `{}` holds a control character.", "Tham số truy vấn `{}` chứa ký tự điều khiển."),
    ("The query parameter `{}` is invalid: {}.", "Tham số truy vấn `{}` không hợp lệ."),
    (
        "This endpoint takes no query parameters; `{}` was given.",
        "Điểm cuối này không nhận tham số truy vấn; đã gửi `{}`.",
    ),
    (
        "`{}` is not a parameter of this endpoint; it takes {}.",
        "`{}` không phải là tham số của điểm cuối này; các tham số được nhận: {}.",
    ),
    ("The URL path holds a control character.", "Đường dẫn URL chứa ký tự điều khiển."),
    ("The URL path is invalid: {}.", "Đường dẫn URL không hợp lệ."),
    ("not found", "Không tìm thấy tài nguyên được yêu cầu."),
    ("No resource exists at this URL.", "Không có tài nguyên nào ở địa chỉ này."),
    ("No resource exists at {}.", "Không có tài nguyên nào ở {}."),
    ("This URL does not accept this method.", "Địa chỉ này không nhận phương thức này."),
    ("{} does not accept {}; it accepts {}.", "{} không nhận phương thức {}; chỉ nhận {}."),
    ("The request could not be processed.", "Không thể xử lý yêu cầu."),
    (
        "The body must be a JSON object of the fields to change.",
        "Nội dung phải là một đối tượng JSON gồm các trường cần thay đổi.",
    ),
    ("The form is not UTF-8.", "Biểu mẫu không phải là văn bản UTF-8."),
    ("The multipart body could not be read: {}.", "Không đọc được nội dung multipart."),
    ("The request body could not be read: {}.", "Không đọc được nội dung yêu cầu."),
    ("The request body is empty; a JSON document was expected.", "Nội dung yêu cầu trống; cần gửi một tài liệu JSON."),
    ("The request body is not valid JSON: {}.", "Nội dung yêu cầu không phải là JSON hợp lệ: {}."),
    (
        "The request body must be JSON, sent with `Content-Type: application/json`.",
        "Nội dung yêu cầu phải là JSON, gửi kèm `Content-Type: application/json`.",
    ),
    ("The request body must be JSON.", "Nội dung yêu cầu phải là JSON."),
    ("Send the request form-encoded (or as JSON).", "Hãy gửi yêu cầu dạng biểu mẫu (hoặc JSON)."),
    (
        "Send a JSON array (`application/json`) or JSON Lines (`application/x-ndjson`).",
        "Hãy gửi một mảng JSON (`application/json`) hoặc JSON Lines (`application/x-ndjson`).",
    ),
    (
        "The request body is larger than this endpoint's limit of {} bytes.",
        "Nội dung yêu cầu vượt quá giới hạn {} byte của điểm cuối này.",
    ),
    ("The request body is larger than this endpoint's limit.", "Nội dung yêu cầu vượt quá giới hạn của điểm cuối này."),
    ("The request body is too large.", "Nội dung yêu cầu quá lớn."),
    (
        "The request body was not received in time; send it at once, or in fewer, larger pieces.",
        "Nội dung yêu cầu không đến kịp thời hạn; hãy gửi một lần, hoặc thành ít phần lớn hơn.",
    ),
    ("Use either `page` or `cursor`, not both.", "Chỉ dùng `page` hoặc `cursor`, không dùng cả hai."),
    ("Use either `since` or `cursor`, not both.", "Chỉ dùng `since` hoặc `cursor`, không dùng cả hai."),
    ("Give one of `week`, `day`, or `from`/`to`.", "Hãy cho một trong `week`, `day`, hoặc `from`/`to`."),
    ("`{}` is not an ISO week; write it as 2026-W49.", "`{}` không phải là tuần theo ISO; hãy viết dạng 2026-W49."),
    ("`{}` is not a cursor of the change feed.", "`{}` không phải là con trỏ của luồng thay đổi."),
    (
        "`{}` is not a facet; use category, field or site",
        "`{}` không phải là một nhóm đếm; dùng category, field hoặc site",
    ),
    ("pages reach the first {} things found", "chỉ phân trang được trong {} kết quả đầu tiên"),
    ("`{}` is not a sort of questions.", "`{}` không phải là cách sắp xếp câu hỏi."),
    (
        "`{}` is not a status; use draft, published, scheduled or archived.",
        "`{}` không phải là trạng thái; dùng draft, published, scheduled hoặc archived.",
    ),
    ("`assignee` must be a user id or `none`.", "`assignee` phải là mã người dùng hoặc `none`."),
    ("`limit` must be between 1 and 20.", "`limit` phải từ 1 đến 20."),
    (
        "`move_articles_to` must name another category of the same site.",
        "`move_articles_to` phải là một chuyên mục khác của cùng đơn vị.",
    ),
    ("`status` must be open or closed.", "`status` phải là open hoặc closed."),
    (
        "`status` must be pending, answered, published or rejected.",
        "`status` phải là pending, answered, published hoặc rejected.",
    ),
    (
        "`tree=true` answers the whole tree: it takes no `page`, `per_page` or `parent`.",
        "`tree=true` trả về cả cây: không nhận `page`, `per_page` hay `parent`.",
    ),
    (
        "`validity` must be in_force, expired, replaced or all.",
        "`validity` phải là in_force, expired, replaced hoặc all.",
    ),
    ("Name the site with `site`.", "Hãy chỉ rõ đơn vị bằng `site`."),
    ("No site has the code `{}`.", "Không có đơn vị nào có mã `{}`."),
    ("Unknown site: {}.", "Không có đơn vị: {}."),
    ("There is no category `{}`.", "Không có chuyên mục `{}`."),
    ("There is no field `{}`.", "Không có lĩnh vực `{}`."),
    ("There is no site `{}`.", "Không có đơn vị `{}`."),
    (
        "Several sites have a category `{}`; say which with `site=`.",
        "Nhiều đơn vị có chuyên mục `{}`; hãy chỉ rõ bằng `site=`.",
    ),
    (
        "The site `{}` has no public_url yet, so its pages have no address: set it with PATCH /api/v1/sites/{}.",
        "Đơn vị `{}` chưa có public_url nên các trang chưa có địa chỉ: hãy đặt bằng PATCH /api/v1/sites/{}.",
    ),
    ("The upload has an unknown part `{}`.", "Tệp tải lên có phần không xác định `{}`."),
    (
        "An import over HTTP is at most {} bytes; use `muni import procedures` for more.",
        "Mỗi lần nhập qua HTTP tối đa {} byte; hãy dùng `muni import procedures` cho dữ liệu lớn hơn.",
    ),
    ("must be json, jsonl or csv", "phải là json, jsonl hoặc csv"),
    (
        "{} entries match; an export takes at most {}: narrow it with from, to or after_id",
        "có {} mục phù hợp; mỗi lần xuất tối đa {}: hãy thu hẹp bằng from, to hoặc after_id",
    ),
    // Details: access.
    (
        "This endpoint needs an access token: `Authorization: Bearer <token>`.",
        "Điểm cuối này cần mã truy cập: `Authorization: Bearer <token>`.",
    ),
    ("The Authorization header is malformed.", "Tiêu đề Authorization không đúng định dạng."),
    ("The Authorization header must use the Bearer scheme.", "Tiêu đề Authorization phải dùng kiểu Bearer."),
    ("The access token is invalid.", "Mã truy cập không hợp lệ."),
    (
        "The access token has expired; refresh it or sign in again.",
        "Mã truy cập đã hết hạn; hãy làm mới hoặc đăng nhập lại.",
    ),
    ("The account's role has changed; sign in again.", "Vai trò của tài khoản đã thay đổi; hãy đăng nhập lại."),
    ("The session of this token has ended; sign in again.", "Phiên của mã này đã kết thúc; hãy đăng nhập lại."),
    ("This account is disabled.", "Tài khoản này đã bị vô hiệu hóa."),
    ("This account is bound to another site.", "Tài khoản này thuộc đơn vị khác."),
    ("The {} role may not do this.", "Vai trò {} không được phép làm việc này."),
    (
        "Filtering by `status` is for staff: send an access token.",
        "Lọc theo `status` chỉ dành cho cán bộ: hãy gửi mã truy cập.",
    ),
    ("Metrics are not served on this address.", "Địa chỉ này không cung cấp số liệu giám sát."),
    ("Only /metrics is served on this address.", "Địa chỉ này chỉ cung cấp /metrics."),
    ("The metrics need the token in MUNI_METRICS_TOKEN.", "Số liệu giám sát cần mã trong MUNI_METRICS_TOKEN."),
    ("The refresh token is not valid.", "Mã làm mới không hợp lệ."),
    (
        "The session of this refresh token has ended; sign in again.",
        "Phiên của mã làm mới này đã kết thúc; hãy đăng nhập lại.",
    ),
    (
        "This refresh token was already used; the session has been ended for safety.",
        "Mã làm mới này đã được dùng; phiên đã được kết thúc để bảo đảm an toàn.",
    ),
    ("The refresh token has expired; sign in again.", "Mã làm mới đã hết hạn; hãy đăng nhập lại."),
    ("The email or password is incorrect.", "Email hoặc mật khẩu không đúng."),
    // Details: rates and sizes.
    (
        "Too many requests from this address; try again in {} seconds.",
        "Quá nhiều yêu cầu từ địa chỉ này; vui lòng thử lại sau {} giây.",
    ),
    (
        "Too many failed sign-ins for this account; try again in {} seconds.",
        "Đăng nhập sai quá nhiều lần với tài khoản này; vui lòng thử lại sau {} giây.",
    ),
    ("Too many requests; wait before trying again.", "Quá nhiều yêu cầu; vui lòng chờ rồi thử lại."),
    ("Files may be at most {} MB.", "Tệp tối đa {} MB."),
    ("{} files may be at most {} MB.", "{} tối đa {} MB."),
    ("{} is not a file the library takes", "{} không phải là loại tệp thư viện nhận"),
    (
        "This is not a file the media library takes (decided by its content, not its name). It takes {}.",
        "Đây không phải là loại tệp thư viện nhận (xét theo nội dung, không theo tên tệp). Thư viện nhận: {}.",
    ),
    (
        "HEIC and AVIF photos are not taken yet: export the photo as JPEG (on an iPhone: Settings > Camera > Formats > Most Compatible). The library takes {}.",
        "Chưa nhận ảnh HEIC và AVIF: hãy xuất ảnh sang JPEG (trên iPhone: Cài đặt > Camera > Định dạng > Tương thích nhất). Thư viện nhận: {}.",
    ),
    // Details: conflicts and states.
    ("Another record already has this {}.", "Đã có bản ghi khác dùng {} này."),
    ("a record with the same unique value already exists", "đã có bản ghi với giá trị duy nhất này"),
    (
        "the record is referenced by, or references, a record that does not allow it",
        "bản ghi đang được tham chiếu, hoặc tham chiếu đến một bản ghi không cho phép việc này",
    ),
    (
        "The article changed since you read it (its ETag differs from If-Match); read it again and retry.",
        "Bài viết đã thay đổi từ lần bạn đọc (ETag khác If-Match); hãy đọc lại rồi thử lại.",
    ),
    (
        "An article that is {} cannot become {}; allowed from: {}.",
        "Bài viết ở trạng thái {} không thể chuyển sang {}; chỉ được chuyển từ: {}.",
    ),
    (
        "A public event cannot go back to draft; cancel it instead.",
        "Sự kiện đã công khai không thể trở lại bản nháp; hãy hủy sự kiện.",
    ),
    (
        "A question that is {} cannot be published; answer it first.",
        "Câu hỏi ở trạng thái {} không thể đăng; hãy trả lời trước.",
    ),
    ("A question that is {} cannot be rejected.", "Câu hỏi ở trạng thái {} không thể từ chối."),
    ("A rejected question takes no answer.", "Câu hỏi đã bị từ chối không nhận câu trả lời."),
    (
        "A submission that is {} cannot be {}ed; allowed from: {}.",
        "Phản ánh ở trạng thái {} không thể chuyển sang {}; chỉ được chuyển từ: {}.",
    ),
    ("The question is not published.", "Câu hỏi chưa được đăng."),
    ("The submission is already published.", "Phản ánh đã được đăng."),
    ("The submission is not published.", "Phản ánh chưa được đăng."),
    (
        "This Idempotency-Key was used for a different question.",
        "Idempotency-Key này đã được dùng cho một câu hỏi khác.",
    ),
    (
        "This Idempotency-Key was used for a different submission.",
        "Idempotency-Key này đã được dùng cho một phản ánh khác.",
    ),
    (
        "An identical {} was received a few minutes ago and is being handled under the tracking code given then. To retry a submission safely, send it with the same `Idempotency-Key` header.",
        "Một {} giống hệt đã được nhận cách đây vài phút và đang được xử lý theo mã tra cứu đã cấp khi đó. Để gửi lại an toàn, hãy gửi kèm cùng tiêu đề `Idempotency-Key`.",
    ),
    (
        "The category has {} articles (deleted ones included); pass `move_articles_to` to move them.",
        "Chuyên mục có {} bài viết (kể cả bài đã xóa); hãy dùng `move_articles_to` để chuyển chúng đi.",
    ),
    (
        "The category has {} sub-categories; move or delete them first.",
        "Chuyên mục có {} chuyên mục con; hãy chuyển hoặc xóa chúng trước.",
    ),
    (
        "The item is in use: {}. Take it out of them first, or delete with force=true.",
        "Tệp đang được sử dụng: {}. Hãy gỡ tệp khỏi các nội dung đó trước, hoặc xóa với force=true.",
    ),
    (
        "This is the last active admin for every site; keep at least one.",
        "Đây là quản trị viên cuối cùng đang hoạt động cho mọi đơn vị; cần giữ ít nhất một người.",
    ),
    ("Only an active endpoint can be paused.", "Chỉ có thể tạm dừng điểm nhận đang hoạt động."),
    ("The endpoint is active already.", "Điểm nhận đang hoạt động."),
    // Details: the server.
    (
        "The service is temporarily unavailable; try again shortly.",
        "Dịch vụ tạm thời không sẵn sàng; vui lòng thử lại sau ít phút.",
    ),
    ("An unexpected error occurred; it has been logged.", "Đã xảy ra lỗi ngoài dự kiến; lỗi đã được ghi lại."),
];
